"""Print the branch coverage of every contact flow at the end of the session."""

from __future__ import annotations


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    try:
        from flowlang.flow import flow_files, load_flow
        from flowlang.simulator import GLOBAL_COVERAGE
    except ImportError:
        return
    from callcenter.backend import local_arn
    from flowlang.flow import substitute
    from flowlang.prompts import localize

    terminalreporter.section("contact flow coverage")
    for name, path in flow_files().items():
        flow = substitute(localize(load_flow(path)), local_arn)
        for line in GLOBAL_COVERAGE.report(name, flow).format_report():
            terminalreporter.write_line(line)
