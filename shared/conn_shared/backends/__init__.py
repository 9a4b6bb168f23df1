"""One module per vendor API: its typed models, its calls and its lifecycle mapping."""
