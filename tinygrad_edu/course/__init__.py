"""Course mode: graded exercises in which students write the engine's parts themselves.

``tinygrad-edu exercises start DIR`` writes a workspace of five files, one per
part of the lecture (derivatives, the engine, the losses, the optimizers,
training), each task a stub; ``exercises check DIR`` grades them;
``exercises reset DIR TASK`` puts one stub back; ``exercises classroom`` and
``exercises grade`` serve a teacher with a class. docs/exercises.md is the
teacher's guide.

Four layers, each importing only the ones above it:

* the exercises: ``tasks.py`` (the task table), ``workspace.py`` (writing,
  resetting and finding a workspace's files), ``templates/`` (solutions marked);
* the runner, where student code runs, one child process per task:
  ``child.py`` (the child's main), ``confine.py`` (what it may not do),
  ``hidden.py`` (the references it may not call), ``swap.py`` (the swap
  helper that puts the student's code in the engine), ``contract.py``
  (read-only inputs, one gradient per input), ``actions.py`` (inputs in,
  numbers out), ``zygote.py`` (the fork server), ``wire.py`` (the messages:
  JSON and npy, never pickle), ``examples.py`` (an example as data, shared
  with the grader);
* the grader, where no student code runs: ``runner.py`` (the grader's side
  of a child), ``toolkit.py`` (comparisons, the example search, the trace),
  ``strategies.py`` (the examples hypothesis draws), ``checks_*.py`` (one
  check per task), ``feedback.py`` (what to tell the student),
  ``grading.py`` (a task's verdict);
* the outputs: ``points.py``, ``reports.py`` (JSON, Gradescope, CSV),
  ``classroom.py`` (GitHub Classroom's workflow), ``batch.py`` (a class's
  submissions in parallel), ``cli.py``.
"""
