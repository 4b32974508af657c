"""gonet._runtime: the port of Go's runtime pieces gonet needs (go1.22).

Goroutines on greenlets (``g.py``), the scheduler (``proc.py``), timers,
semaphores, channels and ``select``, the netpoller (``netpoll.py`` over the
``netpoll_epoll.py`` backend), ``blocking()`` workers, sysmon and debugging
dumps. It imports only the standard library and ``greenlet``.
"""
