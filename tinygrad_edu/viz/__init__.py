"""Tools that look at a graph: ``graph.py`` draws it, ``render.py`` turns the
drawing into SVG (or PNG), ``trace.py`` writes the chain rule out step by step,
``page.py`` builds the page that steps through backward, ``plot.py`` draws
optimizers' trajectories (needs matplotlib)."""
