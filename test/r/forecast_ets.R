# R's forecast::ets() on the fixed monthly series of test/pgtap/forecast.sql
# (Debian r-cran-forecast 8.x).  Rscript test/r/forecast_ets.R prints, per
# model, R's log-likelihood converted to the full Gaussian one ecomml reports
# (R's loglik is -n/2 log(SSE) - sum log|yhat|; the full one subtracts
# n/2 (log(2 pi / n) + 1)) and the 12-step forecast.
suppressMessages(library(forecast))
t <- 0:95
y <- ts(200 + 1.5 * t + 25 * sin(2 * pi * t / 12) + 10 * cos(2 * pi * t / 6) + 6 * sin(1.7 * t^2),
        frequency = 12)
n <- length(y)
for (m in c("ANA", "AAA", "MAM", "MNM", "AAdA")) {
  f <- ets(y, model = sub("d", "", m), damped = grepl("d", m))
  cat(sprintf("%s full_loglik %.4f f12 %.4f\n", m, f$loglik - 0.5 * n * (log(2 * pi / n) + 1),
              forecast(f, h = 12)$mean[12]))
}
f <- ets(y)
cat("auto", f$method, "\n")
