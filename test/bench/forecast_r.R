# R anchors of test/bench/forecast.sh: forecast::ets(), auto.arima() and
# thetaf() on the first K series per frequency of DIR/series.csv, each timed
# (fit + forecast) over the whole subset; writes DIR/fc_r.csv.
#   Rscript forecast_r.R DIR K
suppressMessages(library(forecast))
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]; k <- as.integer(args[2])
d <- read.csv(file.path(dir, "series.csv"), header = FALSE,
              col.names = c("id", "freq", "m", "h", "t", "period", "y", "test"))
ids <- unlist(lapply(split(unique(d[, c("id", "freq")]), unique(d[, c("id", "freq")])$freq),
                     function(s) head(s$id[order(s$id)], k)))
series <- lapply(ids, function(i) { s <- d[d$id == i & d$test == 0, ]; list(id = i, h = d$h[d$id == i][1],
                 y = ts(s$y, frequency = s$m[1])) })
out <- file(file.path(dir, "fc_r.csv"), "w")
run <- function(name, f) {
  rows <- character(0)
  t0 <- proc.time()[["elapsed"]]
  for (s in series) {
    fc <- f(s$y, s$h)
    rows <- c(rows, sprintf("%s,%d,%d,%.6f,%.6f,%.6f,%.6f,%.6f", name, s$id, seq_len(s$h), as.numeric(fc$mean),
                            fc$lower[, 1], fc$upper[, 1], fc$lower[, 2], fc$upper[, 2]))
  }
  sec <- proc.time()[["elapsed"]] - t0
  writeLines(c(sprintf("%s,-1,0,%.3f,%d,0,0,0", name, sec, length(series)), rows), out)
}
run("r_ets", function(y, h) forecast(ets(y), h = h, level = c(80, 95)))
run("r_auto_arima", function(y, h) forecast(auto.arima(y), h = h, level = c(80, 95)))
run("r_thetaf", function(y, h) thetaf(y, h = h, level = c(80, 95)))
close(out)
