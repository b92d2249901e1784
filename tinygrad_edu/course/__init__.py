"""Course mode: graded exercises in which students write the engine's parts themselves.

``tinygrad-edu exercises start DIR`` writes a workspace of five files, one per
part of the lecture (derivatives, the engine, the losses, the optimisers,
training), each task a stub; ``exercises check DIR`` grades them with
hypothesis, finite differences, the reference implementation and the slides'
numbers; ``exercises reset DIR TASK`` puts one stub back. docs/exercises.md is
the teacher's guide.

- ``tasks.py``: the task list; ``templates/``: the five files, solutions marked;
- ``workspace.py``: writing, resetting and importing a workspace;
- ``plugin.py``: how a student's code replaces the reference's for one run;
- ``grading.py`` and ``checks_*.py``: the checks (these need hypothesis);
- ``cli.py``: the ``exercises`` command.
"""
