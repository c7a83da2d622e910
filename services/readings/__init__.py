"""Meter readings (docs/product.md, flow 8): the submission window, what a cabinet sees of its meters, a customer's
submission with its checks and acknowledgement, the history by month, and the operator's side: the month's export
for billing and where its readings stand."""
