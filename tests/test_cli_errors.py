"""User errors on the command line: exit status 2, one line on stderr naming the bad
argument, never a traceback -- for every sub-command, in-process and through a real process.

Cases already in tests/test_cli.py, tests/test_cli_check.py and tests/test_design_cli.py
(e.g. ``info Gauss``, ``check --reps 1``, ``design --criterion Q``) are not repeated.
"""

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import fisherstat.cli as cli
from fisherstat.asymptotics import check_asymptotics
from fisherstat.models import Normal

MISSING = os.path.join(os.sep, "no-such-directory-fisherstat", "out")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Malformed input files, by name."""
    d = tmp_path_factory.mktemp("cli-errors")
    (d / "letters.csv").write_text("1,0.5\n1,abc\n")
    (d / "ragged.csv").write_text("1,0.5\n1\n")
    (d / "empty.csv").write_text("")
    (d / "binary.csv").write_bytes(b"\xff\xfe\x00\x01\x02")
    (d / "nan.csv").write_text("1,nan\n1,2\n")
    (d / "folder.csv").mkdir()
    (d / "junk.npz").write_text("not a checkpoint")
    good = d / "good.npz"
    check_asymptotics(Normal(), [0.0, 1.0], 10, 20, rng=0, checkpoint=good, chunk_size=5)
    (d / "cut.npz").write_bytes(good.read_bytes()[:200])
    (d / "other.npz").write_bytes(good.read_bytes())  # a study of other arguments
    return d


C = ["check", "Normal", "--quiet", "--n", "10", "--reps", "10"]  # quick check arguments
CASES = {
    "check": [
        (C + ["--theta", "nan", "1"], "theta"),
        (C + ["--theta", "0", "1", "2"], "theta"),
        (C + ["--theta", "0", "inf"], "theta"),
        (C + ["--n", "0"], "n must be"),
        (C + ["--n", "10", "10"], "--n"),
        (C + ["--n", "2.5"], "--n"),
        (C + ["--reps", "many"], "--reps"),
        (C + ["--reps", "-3"], "--reps"),
        (C + ["--seed", "-1"], "--seed"),
        (C + ["--seed", "0x1"], "--seed"),
        (C + ["--workers", "-2"], "--workers"),
        (C + ["--workers", "two"], "--workers"),
        (C + ["--workers", "1.5"], "--workers"),
        (C + ["--level", "nan"], "--level"),
        (C + ["--level", "0"], "--level"),
        (C + ["--level", "inf"], "--level"),
        (C + ["--level", "high"], "--level"),
        (C + ["--checkpoint", MISSING + ".npz"], "--checkpoint"),
        (C + ["--checkpoint", "{tmp}/junk.npz"], "--checkpoint"),
        (C + ["--checkpoint", "{tmp}/cut.npz"], "--checkpoint"),
        (C + ["--checkpoint", "{tmp}/other.npz", "--seed", "5"], "different arguments"),
        (C + ["--checkpoint", "{tmp}/folder.csv"], "--checkpoint"),
        (C + ["--plot", MISSING + ".png"], "--plot"),
        (C + ["--plot", "{tmp}"], "--plot"),
        (C + ["--plot", ""], "--plot"),
        (C + ["--x", "1,2"], "--x"),
        (C + ["--option", "k=2"], "--option k"),
        (C + ["--bogus"], "--bogus"),
        (C + ["--n"], "--n"),
        (["check", "Gaussian"], "unknown model 'Gaussian'"),
        (["check", "LogisticRegression", "--quiet", "--x", "{tmp}/letters.csv"], "--x"),
        (["check", "LogisticRegression", "--quiet", "--x", "{tmp}/folder.csv"], "--x"),
        (["check", "LogisticRegression", "--quiet", "--n", "10", "--reps", "10", "--x",
          "1,2;1,2"], "singular"),
    ],
    "info": [
        (["info", "Normal", "--theta", "nan", "nan"], "theta"),
        (["info", "Normal", "--theta", "0", "1", "2"], "theta"),
        (["info", "Normal", "--theta", "1e400", "1"], "theta"),
        (["info", "Normal", "--theta"], "--theta"),
        (["info", "Normal", "--n", "nan"], "--n"),
        (["info", "Normal", "--n", "-inf"], "--n"),
        (["info", "Normal", "--n", "many"], "--n"),
        (["info", "Normal", "--samples", "0"], "--samples"),
        (["info", "Normal", "--samples", "1.5"], "--samples"),
        (["info", "Normal", "--method", "monte_carlo", "--samples", "1"], "--samples"),
        (["info", "Normal", "--seed", "-1"], "--seed"),
        (["info", "Normal", "--seed", "x"], "--seed"),
        (["info", "Normal", "--method"], "--method"),
        (["info", "Normal", "--option", "k=2"], "--option k"),
        (["info", "Binomial", "--option", "trials=3"], "--option trials"),
        (["info", "Binomial", "--option", "n_trials=nan"], "n_trials"),
        (["info", "Binomial", "--option", "n_trials=2.5"], "n_trials"),
        (["info", "LinearRegression", "--option", "k=0"], "k must be"),
        (["info", "LinearRegression", "--option", "k=nan"], "k must be"),
        (["info", "LinearRegression", "--option", "=3"], "--option"),
        (["info", "LogisticRegression", "--x", "{tmp}/letters.csv"], "--x"),
        (["info", "LogisticRegression", "--x", "{tmp}/ragged.csv"], "--x"),
        (["info", "LogisticRegression", "--x", "{tmp}/empty.csv"], "x must not be empty"),
        (["info", "LogisticRegression", "--x", "{tmp}/binary.csv"], "--x"),
        (["info", "LogisticRegression", "--x", "{tmp}/nan.csv"], "x must be finite"),
        (["info", "LogisticRegression", "--x", "{tmp}/folder.csv"], "--x"),
        (["info", "LogisticRegression", "--x", "{tmp}/absent.csv"], "does not exist"),
        (["info", "LogisticRegression", "--x", "1,0;1"], "--x"),
        (["info", "LogisticRegression", "--x", "1,nan;1,2"], "x must be finite"),
        (["info", "LogisticRegression", "--x", "1,2,3;1,2,3"], "x must have k = 2 columns"),
        (["info", "Poisson", "--theta", "-2"], "lam"),
        (["info", "Poisson", "extra"], "extra"),
        (["info", "Poisson", "--nn", "3"], "--nn"),
    ],
    "design": [
        (["design", "Emax", "--region", "nan:1"], "--region"),
        (["design", "Emax", "--region", "0:nan"], "--region"),
        (["design", "Emax", "--region", "0:inf"], "bounds"),
        (["design", "Emax", "--region", "7"], "--region"),
        (["design", "Emax", "--region", "0:1", "--region", "0:1"], "--region"),
        (["design", "Emax", "--criterion", "c:"], "vector"),
        (["design", "Emax", "--criterion", "c:1,2"], "vector"),
        (["design", "Emax", "--criterion", "c:x,y,z"], "--criterion"),
        (["design", "Emax", "--criterion", "c:nan,1,0"], "vector"),
        (["design", "Emax", "--criterion", "Ds:"], "--criterion"),
        (["design", "Emax", "--criterion", "T:1"], "--criterion"),
        (["design", "Emax", "--algorithm", "simplex"], "--algorithm"),
        (["design", "Emax", "--levels", "many"], "--levels"),
        (["design", "Emax", "--levels", "-2"], "--levels"),
        (["design", "Emax", "--runs", "-1"], "--runs"),
        (["design", "Emax", "--runs", "2.5"], "--runs"),
        (["design", "Emax", "--tol", "nan"], "--tol"),
        (["design", "Emax", "--tol", "0"], "--tol"),
        (["design", "Emax", "--theta", "nan", "1", "2", "1"], "theta"),
        (["design", "Emax", "--theta", "1", "2"], "theta"),
        (["design", "Emax", "--x", "{tmp}/letters.csv"], "--x"),
        (["design", "Emax", "--x", "{tmp}/absent.csv"], "does not exist"),
        (["design", "Emax", "--x", "{tmp}/folder.csv"], "--x"),
        (["design", "Emax", "--plot", MISSING + ".png"], "--plot"),
        (["design", "Emax", "--option", "dose=1"], "--option dose"),
        (["design", "Gaussian"], "unknown model 'Gaussian'"),
        (["design", "Poisson"], "no covariates"),
        (["design", "Emax", "--no-refine=yes"], "--no-refine"),
    ],
    "models": [
        (["models", "Normal"], "Normal"),
        (["models", "--all"], "--all"),
        (["models", "-v"], "-v"),
    ],
    "(top level)": [
        (["fisher"], "invalid choice: 'fisher'"),
        (["Check"], "invalid choice: 'Check'"),
        (["--bogus"], "--bogus"),
        (["--version", "now"], "invalid choice: 'now'"),
        ([""], "invalid choice: ''"),
    ],
}
TABLE = [pytest.param(cmd, argv, word, id=f"{cmd}:{' '.join(argv[1:]) or argv[0]}")
         for cmd, rows in CASES.items() for argv, word in rows]


def _one_line_error(out: str, err: str, word: str) -> None:
    assert "Traceback" not in out + err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("fisherstat: error: ")
    assert word in lines[0], lines[0]


def test_every_subcommand_of_the_help_has_error_cases():
    assert set(CASES) - {"(top level)"} == {c.NAME for c in cli.COMMANDS}


@pytest.mark.parametrize("cmd, argv, word", TABLE)
def test_user_error_exits_2_with_one_line_naming_the_argument(cmd, argv, word, files, capsys):
    argv = [a.replace("{tmp}", str(files)) for a in argv]
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    _one_line_error(out, err, word)
    assert not os.path.exists(MISSING + ".npz")


def test_a_file_that_cannot_be_written_after_the_work_is_one_line(tmp_path, capsys):
    # the directory exists but refuses the file: only known when the figure is saved
    if not os.path.isdir("/proc"):
        pytest.skip("needs Linux /proc")
    assert cli.main(C + ["--plot", "/proc/fisherstat-figure.png"]) == 2
    out, err = capsys.readouterr()
    _one_line_error(out, err, "/proc/fisherstat-figure.png")


def test_out_of_memory_is_one_line(monkeypatch, capsys):
    from fisherstat.cli import info

    def exhausted(args, out):
        np.zeros(1)  # stands in for an allocation far beyond the machine
        raise MemoryError("Unable to allocate 75 GiB for an array")

    monkeypatch.setattr(info, "run", exhausted)
    assert cli.main(["info", "Normal"]) == 2
    out, err = capsys.readouterr()
    _one_line_error(out, err, "choose smaller sizes")


@pytest.mark.parametrize("exc, status, err_text", [
    (KeyboardInterrupt(), 130, "fisherstat: interrupted\n"),  # Ctrl-C: 128 + SIGINT
    (BrokenPipeError(32, "Broken pipe"), 1, ""),  # `fisherstat ... | head`: reader gone
])
def test_interrupt_and_closed_pipe_end_quietly(monkeypatch, capsys, exc, status, err_text):
    from fisherstat.cli import models

    def stopped(args, out):
        raise exc

    monkeypatch.setattr(models, "run", stopped)
    assert cli.main(["models"]) == status
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and err == err_text


def _console_script():
    exe = shutil.which("fisherstat", path=os.path.dirname(sys.executable))
    return [exe] if exe else None


@pytest.mark.parametrize("prefix, argv, word", [
    ([sys.executable, "-m", "fisherstat"], ["info", "Normal", "--theta", "0", "-1"], "sigma2"),
    ([sys.executable, "-m", "fisherstat.cli"], ["check", "Normal", "--checkpoint",
                                                 MISSING + ".npz"], "--checkpoint"),
    ("console", ["design", "Emax", "--x", "/no-such-dir/x.csv"], "--x"),
    ("console", ["unknown-command"], "invalid choice"),
], ids=["python-m-fisherstat", "python-m-fisherstat.cli", "console-design", "console-unknown"])
def test_real_process_exits_2_without_traceback(prefix, argv, word):
    if prefix == "console":
        prefix = _console_script() or pytest.skip("the fisherstat console script is not "
                                                  "installed next to this Python")
    proc = subprocess.run([*prefix, *argv], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    _one_line_error(proc.stdout, proc.stderr, word)
