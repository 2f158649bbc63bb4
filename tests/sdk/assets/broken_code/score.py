"""A scoring script whose init() fails: provisioning must end Failed with ResourceNotReady."""


def init():
    raise RuntimeError("amlite-test: init failed on purpose")


def run(raw_data):
    return raw_data
