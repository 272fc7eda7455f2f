# R anchors of test/bench/forecast.sh: forecast::ets(), auto.arima() and
# thetaf() on the first K series per frequency of DIR/series.csv (ets() and
# thetaf() on the first K2, default K: auto.arima() takes 4-5 s a series),
# each timed (fit + forecast) over its subset; writes DIR/fc_r.csv.
#   Rscript forecast_r.R DIR K [K2]
suppressMessages(library(forecast))
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]; k <- as.integer(args[2])
k2 <- if (length(args) >= 3) as.integer(args[3]) else k
d <- read.csv(file.path(dir, "series.csv"), header = FALSE,
              col.names = c("id", "freq", "m", "h", "t", "period", "y", "test"))
first <- function(k) unlist(lapply(split(unique(d[, c("id", "freq")]), unique(d[, c("id", "freq")])$freq),
                                   function(s) head(s$id[order(s$id)], k)))
all_series <- lapply(first(max(k, k2)), function(i) { s <- d[d$id == i & d$test == 0, ]; list(id = i, h = d$h[d$id == i][1],
                     y = ts(s$y, frequency = s$m[1])) })
subset_of <- function(k) { ids <- first(k); Filter(function(s) s$id %in% ids, all_series) }
out <- file(file.path(dir, "fc_r.csv"), "w")
run <- function(name, f, series) {
  rows <- character(0)
  t0 <- proc.time()
  for (s in series) {
    fc <- f(s$y, s$h)
    rows <- c(rows, sprintf("%s,%d,%d,%.6f,%.6f,%.6f,%.6f,%.6f", name, s$id, seq_len(s$h), as.numeric(fc$mean),
                            fc$lower[, 1], fc$upper[, 1], fc$lower[, 2], fc$upper[, 2]))
  }
  t1 <- proc.time()
  sec <- t1[["elapsed"]] - t0[["elapsed"]]
  cpu <- (t1[["user.self"]] + t1[["sys.self"]]) - (t0[["user.self"]] + t0[["sys.self"]])
  writeLines(c(sprintf("%s,-1,0,%.3f,%d,%.3f,0,0", name, sec, length(series), cpu), rows), out)
}
run("r_ets", function(y, h) forecast(ets(y), h = h, level = c(80, 95)), subset_of(k2))
run("r_auto_arima", function(y, h) forecast(auto.arima(y), h = h, level = c(80, 95)), subset_of(k))
run("r_thetaf", function(y, h) thetaf(y, h = h, level = c(80, 95)), subset_of(k2))
close(out)
