"""The `risk` domain: monitoring points and reporters, risk reports and their level-by-level
handling, expert assessment, statistics, periodic reports, typical cases and recognition."""
