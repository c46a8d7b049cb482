"""``fisherstat design``: design table, criterion value, bound, exact runs, plot, errors."""

import pytest

import fisherstat.cli as cli
from fisherstat.cli import design as design_cmd


@pytest.fixture(autouse=True)
def with_design_command(monkeypatch):
    # until the lead wires the command into fisherstat.cli.COMMANDS
    if design_cmd not in cli.COMMANDS:
        monkeypatch.setattr(cli, "COMMANDS", [*cli.COMMANDS, design_cmd])


def test_default_prints_emax_d_optimal_design_and_bound(capsys):
    assert cli.main(["design"]) == 0
    out = capsys.readouterr().out
    assert "D-optimal design" in out and "weight" in out
    assert "efficiency >= 1.0000000" in out
    assert "18.75" in out  # ED50 xmax / (2 ED50 + xmax) = 25 * 150 / 200


def test_michaelis_menten_on_a_region_gives_the_analytic_point(capsys):
    assert cli.main(["design", "MichaelisMenten", "--theta", "200", "2", "1", "--region",
                     "0:10"]) == 0
    out = capsys.readouterr().out
    assert "1.42857" in out  # 2 * 10 / (4 + 10)
    assert "log det M" in out


def test_linear_regression_region_uses_powers_of_t_and_exact_runs(capsys):
    assert cli.main(["design", "LinearRegression", "--option", "k=3", "--region", "-1:1",
                     "--criterion", "A", "--runs", "8"]) == 0
    out = capsys.readouterr().out
    assert "t^2" in out and "trace M^-1" in out
    assert "N = 8 runs" in out and "efficiency vs approximate optimum: 1.0000" in out


def test_polynomial_coefficients_print_with_readable_names(capsys):
    """The constant term's coefficient is 'Intercept' (issue 17, point 7): the parameters
    read 'Intercept = 0.5, t = -1', not '1 = 0.5, t = -1'."""
    assert cli.main(["design", "LinearRegression", "--option", "k=2"]) == 0
    out = capsys.readouterr().out
    assert "theta: Intercept = 0.5, t = -1, sigma2 = 0.5" in out
    assert "parameters of interest: Intercept, t" in out
    assert "1 = 0.5" not in out


def test_c_and_ds_criteria_and_plot(tmp_path, capsys):
    png = tmp_path / "sens.png"
    assert cli.main(["design", "Emax", "--criterion", "Ds:ED50", "--plot", str(png)]) == 0
    assert png.exists() and png.stat().st_size > 1000
    assert cli.main(["design", "Emax", "--criterion", "c:0,1,0", "--no-refine"]) == 0
    out = capsys.readouterr().out
    assert "Ds-optimal" in out and "c-optimal" in out


@pytest.mark.parametrize("argv, word", [
    (["design", "Normal"], "no covariates"),
    (["design", "Emax", "--region", "0:a"], "--region"),
    (["design", "Emax", "--region", "5:1"], "--region"),
    (["design", "Emax", "--criterion", "Q"], "--criterion"),
    (["design", "Emax", "--runs", "0"], "--runs"),
    (["design", "Emax", "--tol", "2"], "--tol"),
    (["design", "Emax", "--levels", "1"], "--levels"),
    (["design", "Emax", "--criterion", "Ds:Foo"], "Foo"),
    (["design", "OneCompartmentOral"], "--option"),
])
def test_bad_arguments_give_one_line_errors(argv, word, capsys):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("fisherstat: error:")
    assert word in err
