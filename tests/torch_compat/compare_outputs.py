"""Compares two outputs of compat_program line by line: numbers to a relative/absolute
tolerance of 1e-4 (the two libraries' kernels round differently), every other token exactly."""
import sys


def tokens(line):
    return line.split()


def number(token):
    try:
        return float(token)
    except ValueError:
        return None


def main(expected_path, actual_path):
    expected = open(expected_path).read().splitlines()
    actual = open(actual_path).read().splitlines()
    failures = []
    if len(expected) != len(actual):
        failures.append(f"{len(expected)} lines in {expected_path}, {len(actual)} in {actual_path}")
    for i, (e, a) in enumerate(zip(expected, actual), 1):
        te, ta = tokens(e), tokens(a)
        ok = len(te) == len(ta)
        for x, y in zip(te, ta):
            nx, ny = number(x), number(y)
            if nx is not None and ny is not None:
                ok = ok and abs(nx - ny) <= 1e-4 * max(1.0, abs(nx))
            else:
                ok = ok and x == y
        if not ok:
            failures.append(f"line {i}:\n  libtorch: {e}\n  nabla:    {a}")
    if failures:
        print(f"{expected_path} and {actual_path} differ:")
        print("\n".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
