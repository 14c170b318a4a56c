"""Changes: the model, plans, the command classifier, approval, and the one apply path."""
