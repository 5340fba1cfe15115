NAME = "runlet"


def greeting(name):
    return f"greet: hello, {name}"
