# Python threads and signals: threading (Lock, Condition, Event, Barrier, join), a queue between
# producer and consumer threads, concurrent.futures, signal.alarm interrupting time.sleep (the
# handler runs, the sleep resumes: PEP 475), signal.setitimer, and a handler seen by the main
# thread while others run. Prints deterministic lines only.
import concurrent.futures
import queue
import signal
import threading
import time

total = 0
lock = threading.Lock()


def add(n):
    global total
    for _ in range(n):
        with lock:
            total += 1


threads = [threading.Thread(target=add, args=(2000,)) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("lock counter", total)

q = queue.Queue(maxsize=4)
got = []


def produce():
    for i in range(50):
        q.put(i)
    q.put(None)


def consume():
    while (item := q.get()) is not None:
        got.append(item * 2)


p, c = threading.Thread(target=produce), threading.Thread(target=consume)
p.start(), c.start(), p.join(), c.join()
print("queue sum", sum(got), len(got))

barrier = threading.Barrier(3)
ready = threading.Event()
cond = threading.Condition()
order = []


def party(i):
    barrier.wait()
    ready.wait()
    with cond:
        order.append(i)
        cond.notify_all()


ps = [threading.Thread(target=party, args=(i,)) for i in range(2)]
for t in ps:
    t.start()
barrier.wait()
ready.set()
with cond:
    cond.wait_for(lambda: len(order) == 2, timeout=10)
for t in ps:
    t.join()
print("barrier, event, condition", sorted(order))

with concurrent.futures.ThreadPoolExecutor(max_workers=3) as ex:
    print("futures", list(ex.map(lambda x: x * x, range(8))))

alarms = []
signal.signal(signal.SIGALRM, lambda sig, frame: alarms.append(sig))
start = time.monotonic()
signal.alarm(1)
time.sleep(1.5)
print("alarm during sleep", alarms, "slept through", time.monotonic() - start >= 1.5)

ticks = []
signal.signal(signal.SIGALRM, lambda sig, frame: ticks.append(1))
signal.setitimer(signal.ITIMER_REAL, 0.05, 0.05)
spinner = threading.Thread(target=lambda: sum(range(3 * 10**6)))
spinner.start()
while len(ticks) < 3:
    time.sleep(0.01)
signal.setitimer(signal.ITIMER_REAL, 0)
spinner.join()
print("setitimer ticks >= 3", len(ticks) >= 3)
