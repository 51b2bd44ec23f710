"""Side-by-side benchmarks of cellflux and the tools users pick instead.

``python -m benchmarks`` runs every workload and writes ``benchmarks/results.md``;
``python -m benchmarks --quick`` is a smoke run of a couple of minutes.
"""
