"""One module per scenario; each turns a plan into the steps of its runbook."""
