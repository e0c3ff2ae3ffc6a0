"""The values of the shared vectors (tests/vectors/*.json) as the drivers read them:
``{"$repeat": "s", "times": n}`` stands for ``s`` repeated ``n`` times (anywhere in a
case), so that long inputs stay short in the files. Used by the conformance runner,
the Python stdlib check of the message vectors and the email-validator comparison."""


def expand(value):
    """``value`` with every ``{"$repeat": str, "times": n}`` replaced by the string."""
    if isinstance(value, dict):
        if set(value) == {"$repeat", "times"} and isinstance(value["$repeat"], str):
            return value["$repeat"] * int(value["times"])
        return {k: expand(v) for k, v in value.items()}
    if isinstance(value, list):
        return [expand(v) for v in value]
    return value
