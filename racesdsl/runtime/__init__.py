"""The runtime: the per-instance path (sample -> render -> answer -> verify) in plain Python.

Everything here is specialised once per environment and then called in a hot
loop, so modules build closures up front and keep the per-call work boring."""
