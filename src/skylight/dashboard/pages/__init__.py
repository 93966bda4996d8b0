"""The dashboard's endpoints, one module per page."""
