# R's forecast::Arima() / auto.arima() on the fixed series of
# test/pgtap/forecast.sql (Debian r-cran-forecast 8.x).  Prints, per model,
# the coefficients, the exact log-likelihood, the 5-step forecast and its
# 95% upper bound: Rscript test/r/forecast_arima.R
suppressMessages(library(forecast))
t <- 0:79
y1 <- 100 + 0.8 * t + cumsum(2.5 * sin(1.3 * t) + 1.5 * cos(2.1 * t * t)) + 3 * cos(0.7 * t * t)
t <- 0:95
y2 <- ts(200 + 1.5 * t + 25 * sin(2 * pi * t / 12) + 10 * cos(2 * pi * t / 6) + 6 * sin(1.7 * t^2),
         frequency = 12)
pr <- function(lbl, f) {
  fc <- forecast(f, h = 5, level = 95)
  cat(lbl, "coef", sprintf("%.4f", coef(f)), "loglik", sprintf("%.4f", f$loglik),
      "f5", sprintf("%.4f", fc$mean[5]), "hi95", sprintf("%.4f", fc$upper[5]), "\n")
}
pr("(1,1,1) drift", Arima(y1, order = c(1, 1, 1), include.drift = TRUE))
pr("(2,0,0) mean", Arima(y1, order = c(2, 0, 0), include.mean = TRUE))
pr("(0,1,1)(0,1,1)", Arima(y2, order = c(0, 1, 1), seasonal = c(0, 1, 1)))
pr("(1,0,0)(1,1,0) drift", Arima(y2, order = c(1, 0, 0), seasonal = c(1, 1, 0), include.drift = TRUE))
print(auto.arima(y1))
print(auto.arima(y2))
