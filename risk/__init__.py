"""Late-payment risk: features as of a date, the model, backtests, reasons and scoring."""
