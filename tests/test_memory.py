"""Memory a stage freed is handed back to the system (memory.py), where the C library can."""

import platform

from auftakt_batch import memory


def test_release_asks_the_c_library_to_return_free_memory(monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(memory, "_malloc_trim", lambda: calls.append)
    memory.release()
    assert calls == [0]  # malloc_trim(0): all the free memory it can, keeping no pad
    monkeypatch.setattr(memory, "_malloc_trim", lambda: None)
    memory.release()  # a C library without it (macOS, Windows, musl): nothing to do, and no error


def test_glibc_has_the_call():
    if platform.libc_ver()[0] != "glibc":
        return
    assert memory._malloc_trim.__wrapped__() is not None
