"""`racesdsl lsp`: a language server over stdio on pygls (server.py wires the features,
one module per feature; positions.py is the one place spans become LSP ranges)."""
