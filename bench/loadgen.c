/*
 * loadgen — a single-threaded epoll load generator for gonet's benchmarks.
 *
 * Modes
 *   echo  N connections; each keeps `depth` messages of `size` bytes in flight,
 *         reads every echo back in full and sends the next message.  Latency of
 *         each round trip (message queued -> its last echoed byte read) goes
 *         into a log-linear histogram (~1.6% precision).  Round trips are
 *         counted only inside the measured window [warmup, warmup + duration).
 *   idle  N connections; each sends one `size`-byte ping and reads it back, so
 *         the server has really accepted it and started its handler, and is
 *         then held idle until stdin closes (--stdin), a signal, or --duration.
 *
 * Stdout protocol (one line each, flushed):
 *   @connected <n> <errors> <seconds>   connect phase done
 *   @start                              measured window starts (echo)
 *   @progress <elapsed_s> <round_trips_in_last_interval>
 *   @end                                measured window ends (echo)
 *   @opened {json}                      all idle conns open and pinged (idle)
 *   {json}                              final report, always the last line
 *
 * Connections are spread over source addresses 127.0.0.1 .. 127.0.0.K (bind
 * with IP_BIND_ADDRESS_NO_PORT before connect), so the 4-tuple space, not the
 * ~28k ephemeral ports of one source address, is the limit.  Every phase is
 * bounded in time; connect and I/O errors are counted, never fatal.
 *
 * Build: cc -O2 -o loadgen loadgen.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define RXBUF (256 * 1024)
#define MAXEV 1024
#define STDIN_TAG UINT32_MAX

/* ---------------------------------------------------------------- histogram */
/* Values in nanoseconds.  v < 128 -> own bucket; otherwise shift = msb - 6 and
 * bucket = shift * 64 + (v >> shift), (v >> shift) in [64, 127]. */
#define HBUCKETS (64 * 44)
typedef struct {
    uint64_t b[HBUCKETS];
    uint64_t n, max;
    double sum;
} hist_t;

static int hidx(uint64_t v) {
    if (v < 128) return (int)v;
    int msb = 63 - __builtin_clzll(v);
    int shift = msb - 6;
    int i = shift * 64 + (int)(v >> shift);
    return i < HBUCKETS ? i : HBUCKETS - 1;
}

static double hval(int i) { /* midpoint of bucket i, ns */
    if (i < 128) return (double)i;
    int shift = i / 64 - 1;
    uint64_t m = (uint64_t)(i - shift * 64);
    return (double)(m << shift) + (double)(1ULL << shift) / 2.0;
}

static void hadd(hist_t *h, uint64_t v) {
    h->b[hidx(v)]++;
    h->n++;
    h->sum += (double)v;
    if (v > h->max) h->max = v;
}

static double hpct(const hist_t *h, double p) { /* -> microseconds */
    if (h->n == 0) return 0.0;
    uint64_t rank = (uint64_t)ceil(p / 100.0 * (double)h->n);
    if (rank < 1) rank = 1;
    uint64_t acc = 0;
    for (int i = 0; i < HBUCKETS; i++) {
        acc += h->b[i];
        if (acc >= rank) {
            double v = hval(i);
            if (v > (double)h->max) v = (double)h->max;
            return v / 1000.0;
        }
    }
    return (double)h->max / 1000.0;
}

/* ---------------------------------------------------------------- state */
enum { C_FREE, C_CONNECTING, C_ACTIVE, C_IDLE, C_CLOSED };

typedef struct {
    int fd;
    uint8_t state;
    uint32_t to_send;    /* bytes still to write */
    uint32_t rx_partial; /* bytes of the current message already read */
    uint32_t head, count;
    uint64_t *ts; /* ring of `depth` send timestamps */
} conn_t;

static struct {
    const char *host, *unix_path, *mode;
    int port, conns, size, depth, batch, src_addrs, use_stdin, quiet, nodelay, busy;
    double duration, warmup, connect_timeout, rate, progress;
} opt = {"127.0.0.1", NULL, "echo", 0, 50, 64, 1, 256, 0, 0, 0, 1, 0, 5.0, 1.0, 30.0, 0.0, 1.0};

static struct {
    uint64_t connect_err, read_err, write_err, eof, protocol, dropped, socket_err;
    int last_connect_errno;
} err;

static conn_t *conns;
static int ep;
static char *txbuf, *rxbuf;
static uint32_t txlen;
static hist_t hist, ohist; /* round-trip latency; idle-mode open latency */
static volatile sig_atomic_t stop_flag;
static int established, pending, closed_count, pinged, measuring, stopping, idle_mode, n_active;
static uint64_t rt_total, rt_measured, rt_interval;
static uint64_t t_begin;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static double secs(uint64_t ns) { return (double)ns / 1e9; }

static void on_signal(int sig) {
    (void)sig;
    stop_flag = 1;
}

static void close_conn(conn_t *c) {
    if (c->state == C_FREE || c->state == C_CLOSED) return;
    if (c->state == C_CONNECTING) pending--;
    if (c->state == C_ACTIVE) n_active--;
    close(c->fd);
    c->fd = -1;
    c->state = C_CLOSED;
    closed_count++;
}

static void queue_msg(conn_t *c, uint64_t t) {
    uint32_t tail = (c->head + c->count) % (uint32_t)opt.depth;
    c->ts[tail] = t;
    c->count++;
    c->to_send += (uint32_t)opt.size;
}

static void do_write(conn_t *c) {
    while (c->to_send > 0) {
        uint32_t n = c->to_send < txlen ? c->to_send : txlen;
        ssize_t w = send(c->fd, txbuf, n, MSG_NOSIGNAL);
        if (w > 0) {
            c->to_send -= (uint32_t)w;
            if ((uint32_t)w < n) return; /* socket buffer full: EPOLLOUT edge follows */
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        err.write_err++;
        close_conn(c);
        return;
    }
}

static void do_read(conn_t *c) {
    for (;;) {
        ssize_t r = recv(c->fd, rxbuf, RXBUF, 0);
        if (r > 0) {
            if (c->state == C_IDLE) { /* unexpected data on an idle conn: drop it */
                if (r < RXBUF) return;
                continue;
            }
            uint64_t t = now_ns();
            uint64_t total = c->rx_partial + (uint64_t)r;
            while (total >= (uint64_t)opt.size) {
                if (c->count == 0) { /* more bytes than we sent */
                    err.protocol++;
                    close_conn(c);
                    return;
                }
                total -= (uint64_t)opt.size;
                uint64_t ts = c->ts[c->head];
                c->head = (c->head + 1) % (uint32_t)opt.depth;
                c->count--;
                rt_total++;
                if (idle_mode) {
                    hadd(&ohist, t - ts);
                    pinged++;
                    n_active--;
                    c->state = C_IDLE;
                    break;
                }
                if (measuring) {
                    hadd(&hist, t - ts);
                    rt_measured++;
                    rt_interval++;
                }
                if (!stopping) queue_msg(c, t);
            }
            c->rx_partial = (uint32_t)total;
            if (r < RXBUF) break; /* short read: drained (edge-triggered) */
            continue;
        }
        if (r == 0) {
            if (c->state == C_IDLE) err.dropped++;
            else err.eof++;
            close_conn(c);
            return;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        if (c->state == C_IDLE) err.dropped++;
        else err.read_err++;
        close_conn(c);
        return;
    }
    if (c->state == C_ACTIVE && c->to_send) do_write(c);
}

static void on_open(conn_t *c, uint64_t t) {
    c->state = C_ACTIVE;
    n_active++;
    if (idle_mode) {
        queue_msg(c, t);
    } else {
        for (int i = 0; i < opt.depth; i++) queue_msg(c, t);
    }
    do_write(c);
}

static void dispatch(uint32_t idx, uint32_t ev) {
    conn_t *c = &conns[idx];
    if (c->state == C_CONNECTING) {
        if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
        int e = 0;
        socklen_t el = sizeof e;
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0) e = errno;
        if (e == 0 && (ev & EPOLLHUP)) e = ECONNRESET;
        if (e) {
            err.connect_err++;
            err.last_connect_errno = e;
            close_conn(c);
            return;
        }
        pending--;
        established++;
        on_open(c, now_ns());
        if (c->state == C_ACTIVE && (ev & EPOLLIN)) do_read(c);
        return;
    }
    if (c->state == C_ACTIVE || c->state == C_IDLE) {
        if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) do_read(c);
        if (c->state == C_ACTIVE && (ev & EPOLLOUT) && c->to_send) do_write(c);
    }
}

/* ------------------------------------------------------------------ connect */
static struct sockaddr_storage dst;
static socklen_t dstlen;
static int family;

static int start_connect(int i) {
    conn_t *c = &conns[i];
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        err.socket_err++;
        err.connect_err++;
        err.last_connect_errno = errno;
        c->state = C_CLOSED;
        closed_count++;
        return -1;
    }
    if (family == AF_INET) {
        int one = 1;
        if (opt.nodelay) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (opt.src_addrs > 1) {
            setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
            struct sockaddr_in src = {0};
            src.sin_family = AF_INET;
            src.sin_addr.s_addr = htonl(0x7f000001u + (uint32_t)(i % opt.src_addrs));
            if (bind(fd, (struct sockaddr *)&src, sizeof src) < 0) {
                err.connect_err++;
                err.last_connect_errno = errno;
                close(fd);
                c->state = C_CLOSED;
                closed_count++;
                return -1;
            }
        }
    }
    c->fd = fd;
    c->state = C_CONNECTING;
    pending++;
    struct epoll_event e = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.u32 = (uint32_t)i};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) < 0) {
        err.connect_err++;
        err.last_connect_errno = errno;
        close_conn(c);
        return -1;
    }
    int r = connect(fd, (struct sockaddr *)&dst, dstlen);
    if (r == 0) { /* unix sockets connect at once */
        pending--;
        established++;
        on_open(c, now_ns());
        return 0;
    }
    if (errno != EINPROGRESS) { /* EAGAIN here is a full unix backlog: counted */
        err.connect_err++;
        err.last_connect_errno = errno;
        close_conn(c);
        return -1;
    }
    return 0; /* completion is reported by the EPOLLOUT edge */
}

static uint64_t polls, empty_polls;

static int poll_once(int timeout_ms) {
    static struct epoll_event evs[MAXEV];
    int n = epoll_wait(ep, evs, MAXEV, opt.busy && measuring ? 0 : timeout_ms);
    polls++;
    if (n == 0) empty_polls++;
    if (n < 0) return errno == EINTR ? 0 : -1;
    for (int k = 0; k < n; k++) {
        if (evs[k].data.u32 == STDIN_TAG) {
            char b[256];
            ssize_t r = read(0, b, sizeof b);
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) stop_flag = 1;
            continue;
        }
        dispatch(evs[k].data.u32, evs[k].events);
    }
    return n;
}

static int ms_until(uint64_t deadline, uint64_t t) {
    if (deadline <= t) return 0;
    uint64_t ms = (deadline - t + 999999) / 1000000;
    return ms > 1000 ? 1000 : (int)ms;
}

static double cpu_s(const struct rusage *ru, int user) {
    const struct timeval *tv = user ? &ru->ru_utime : &ru->ru_stime;
    return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

static void usage(void) {
    fprintf(stderr,
            "usage: loadgen [--host H] --port P | --unix PATH\n"
            "  [--mode echo|idle] [--conns N] [--size BYTES] [--depth D]\n"
            "  [--duration S] [--warmup S] [--connect-batch B] [--connect-rate R/s]\n"
            "  [--connect-timeout S] [--src-addrs K] [--stdin] [--progress S] [--quiet]\n"
            "  [--no-nodelay] [--busy-poll]\n");
}

int main(int argc, char **argv) {
    static struct option lo[] = {
        {"host", 1, 0, 'h'},          {"port", 1, 0, 'p'},          {"unix", 1, 0, 'u'},
        {"mode", 1, 0, 'm'},          {"conns", 1, 0, 'c'},         {"size", 1, 0, 's'},
        {"depth", 1, 0, 'd'},         {"duration", 1, 0, 'D'},      {"warmup", 1, 0, 'w'},
        {"connect-batch", 1, 0, 'b'}, {"connect-rate", 1, 0, 'r'},  {"connect-timeout", 1, 0, 't'},
        {"src-addrs", 1, 0, 'k'},     {"stdin", 0, 0, 'i'},         {"progress", 1, 0, 'P'},
        {"quiet", 0, 0, 'q'},         {"no-nodelay", 0, 0, 'n'},    {"busy-poll", 0, 0, 'B'},
        {"help", 0, 0, 'H'},
        {0, 0, 0, 0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 'h': opt.host = optarg; break;
        case 'p': opt.port = atoi(optarg); break;
        case 'u': opt.unix_path = optarg; break;
        case 'm': opt.mode = optarg; break;
        case 'c': opt.conns = atoi(optarg); break;
        case 's': opt.size = atoi(optarg); break;
        case 'd': opt.depth = atoi(optarg); break;
        case 'D': opt.duration = atof(optarg); break;
        case 'w': opt.warmup = atof(optarg); break;
        case 'b': opt.batch = atoi(optarg); break;
        case 'r': opt.rate = atof(optarg); break;
        case 't': opt.connect_timeout = atof(optarg); break;
        case 'k': opt.src_addrs = atoi(optarg); break;
        case 'i': opt.use_stdin = 1; break;
        case 'P': opt.progress = atof(optarg); break;
        case 'q': opt.quiet = 1; break;
        case 'n': opt.nodelay = 0; break;
        case 'B': opt.busy = 1; break;
        default: usage(); return 2;
        }
    }
    idle_mode = strcmp(opt.mode, "idle") == 0;
    if ((!idle_mode && strcmp(opt.mode, "echo") != 0) || opt.conns < 1 || opt.size < 1 ||
        opt.depth < 1 || opt.batch < 1 || opt.duration <= 0 || opt.warmup < 0 ||
        (!opt.unix_path && (opt.port < 1 || opt.port > 65535))) {
        usage();
        return 2;
    }
    if (idle_mode) opt.depth = 1;
    if (opt.duration > 3600) opt.duration = 3600; /* always bounded */

    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    memset(&dst, 0, sizeof dst);
    if (opt.unix_path) {
        struct sockaddr_un *u = (struct sockaddr_un *)&dst;
        u->sun_family = AF_UNIX;
        strncpy(u->sun_path, opt.unix_path, sizeof u->sun_path - 1);
        if (u->sun_path[0] == '@') u->sun_path[0] = '\0';
        dstlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(opt.unix_path));
        family = AF_UNIX;
        opt.src_addrs = 1;
    } else {
        struct sockaddr_in *s = (struct sockaddr_in *)&dst;
        s->sin_family = AF_INET;
        s->sin_port = htons((uint16_t)opt.port);
        if (inet_pton(AF_INET, opt.host, &s->sin_addr) != 1) {
            fprintf(stderr, "loadgen: --host must be an IPv4 address\n");
            return 2;
        }
        dstlen = sizeof *s;
        family = AF_INET;
        int loopback = (ntohl(s->sin_addr.s_addr) >> 24) == 127;
        if (!loopback) opt.src_addrs = 1;
        else if (opt.src_addrs <= 0) opt.src_addrs = 1 + opt.conns / 8000;
        if (opt.src_addrs > 254) opt.src_addrs = 254;
    }

    conns = calloc((size_t)opt.conns, sizeof *conns);
    uint64_t *tsbuf = calloc((size_t)opt.conns * (size_t)opt.depth, sizeof *tsbuf);
    txlen = (uint32_t)opt.size * (uint32_t)opt.depth;
    txbuf = malloc(txlen);
    rxbuf = malloc(RXBUF);
    if (!conns || !tsbuf || !txbuf || !rxbuf) {
        fprintf(stderr, "loadgen: out of memory\n");
        return 1;
    }
    memset(txbuf, 'x', txlen);
    for (int i = 0; i < opt.conns; i++) {
        conns[i].fd = -1;
        conns[i].ts = tsbuf + (size_t)i * (size_t)opt.depth;
    }
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) {
        perror("epoll_create1");
        return 1;
    }
    if (opt.use_stdin) {
        fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
        struct epoll_event e = {.events = EPOLLIN | EPOLLRDHUP, .data.u32 = STDIN_TAG};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, 0, &e) < 0) opt.use_stdin = 0;
    }

    /* ---- connect phase: at most `batch` connects in flight, optional rate cap */
    t_begin = now_ns();
    uint64_t cdeadline = t_begin + (uint64_t)(opt.connect_timeout * 1e9);
    int next = 0;
    while ((next < opt.conns || pending > 0) && !stop_flag) {
        uint64_t t = now_ns();
        if (t >= cdeadline) break;
        int allowed = opt.conns;
        if (opt.rate > 0) allowed = (int)(opt.rate * secs(t - t_begin)) + 1;
        while (next < opt.conns && pending < opt.batch && next < allowed) start_connect(next++);
        int wait = (next < opt.conns && pending < opt.batch) ? 1 : ms_until(cdeadline, t);
        if (wait > 50) wait = 50;
        if (poll_once(wait) < 0) break;
    }
    for (int i = 0; i < opt.conns; i++) /* connects that did not finish in time */
        if (conns[i].state == C_CONNECTING) {
            err.connect_err++;
            err.last_connect_errno = ETIMEDOUT;
            close_conn(&conns[i]);
        }
    if (next < opt.conns) err.connect_err += (uint64_t)(opt.conns - next);
    uint64_t t_conn = now_ns();
    if (!opt.quiet) {
        printf("@connected %d %llu %.6f\n", established, (unsigned long long)err.connect_err,
               secs(t_conn - t_begin));
        fflush(stdout);
    }

    struct rusage ru0, ru1;
    uint64_t t_start = 0, t_end = 0;
    if (idle_mode) {
        /* ---- wait for every open conn's ping to come back */
        uint64_t odeadline = t_conn + (uint64_t)(opt.connect_timeout * 1e9);
        while (!stop_flag && n_active > 0) {
            uint64_t t = now_ns();
            if (t >= odeadline) break;
            if (poll_once(ms_until(odeadline, t)) < 0) break;
        }
        uint64_t t_open = now_ns();
        int open_now = 0;
        for (int i = 0; i < opt.conns; i++) open_now += conns[i].state == C_IDLE;
        printf("@opened {\"idle_open\": %d, \"pinged\": %d, \"connect_errors\": %llu, "
               "\"open_s\": %.6f, \"connect_s\": %.6f, \"ping_p50_us\": %.1f, "
               "\"ping_p99_us\": %.1f, \"src_addrs\": %d}\n",
               open_now, pinged, (unsigned long long)err.connect_err, secs(t_open - t_begin),
               secs(t_conn - t_begin), hpct(&ohist, 50), hpct(&ohist, 99), opt.src_addrs);
        fflush(stdout);
        /* ---- hold until stdin closes, a signal, or the duration bound */
        uint64_t hdeadline = t_open + (uint64_t)(opt.duration * 1e9);
        getrusage(RUSAGE_SELF, &ru0);
        t_start = t_open;
        while (!stop_flag) {
            uint64_t t = now_ns();
            if (t >= hdeadline) break;
            if (poll_once(ms_until(hdeadline, t)) < 0) break;
        }
        t_end = now_ns();
        getrusage(RUSAGE_SELF, &ru1);
    } else {
        /* ---- echo: warmup, then the measured window */
        uint64_t t0 = now_ns();
        t_start = t0 + (uint64_t)(opt.warmup * 1e9);
        uint64_t t_stop = t_start + (uint64_t)(opt.duration * 1e9);
        uint64_t pstep = (uint64_t)((opt.progress > 0 ? opt.progress : 1.0) * 1e9);
        uint64_t next_tick = t_start + pstep;
        while (!stop_flag) {
            uint64_t t = now_ns();
            if (!measuring && t >= t_start) {
                measuring = 1;
                t_start = t;
                next_tick = t + pstep;
                getrusage(RUSAGE_SELF, &ru0);
                if (!opt.quiet) {
                    printf("@start\n");
                    fflush(stdout);
                }
            }
            if (t >= t_stop) break;
            if (measuring && t >= next_tick) {
                if (!opt.quiet && opt.progress > 0) {
                    printf("@progress %.3f %llu\n", secs(t - t_start),
                           (unsigned long long)rt_interval);
                    fflush(stdout);
                }
                rt_interval = 0;
                next_tick += pstep;
            }
            if (closed_count >= opt.conns) break; /* nothing left to drive */
            uint64_t dl = measuring ? (next_tick < t_stop ? next_tick : t_stop) : t_start;
            if (poll_once(ms_until(dl, t)) < 0) break;
        }
        stopping = 1;
        if (!measuring) { /* stopped during warmup */
            t_start = now_ns();
            getrusage(RUSAGE_SELF, &ru0);
        }
        measuring = 0;
        t_end = now_ns();
        getrusage(RUSAGE_SELF, &ru1);
        if (!opt.quiet) {
            printf("@end\n");
            fflush(stdout);
        }
    }

    int open_at_end = 0;
    for (int i = 0; i < opt.conns; i++) {
        if (conns[i].state == C_ACTIVE || conns[i].state == C_IDLE) open_at_end++;
        close_conn(&conns[i]);
    }

    char target[160];
    if (opt.unix_path) snprintf(target, sizeof target, "unix:%s", opt.unix_path);
    else snprintf(target, sizeof target, "%s:%d", opt.host, opt.port);
    double wall = secs(t_end - t_start);
    double us = cpu_s(&ru1, 1) - cpu_s(&ru0, 1), sy = cpu_s(&ru1, 0) - cpu_s(&ru0, 0);
    printf("{\"mode\": \"%s\", \"target\": \"%s\", \"conns\": %d, \"established\": %d, "
           "\"open_at_end\": %d, \"size\": %d, \"depth\": %d, \"src_addrs\": %d, "
           "\"connect_s\": %.6f, \"warmup_s\": %.3f, \"duration_s\": %.6f, "
           "\"round_trips\": %llu, \"round_trips_total\": %llu, \"rps\": %.1f, "
           "\"bytes_per_s\": %.1f, "
           "\"latency_us\": {\"p50\": %.2f, \"p90\": %.2f, \"p99\": %.2f, \"p999\": %.2f, "
           "\"max\": %.2f, \"mean\": %.2f}, "
           "\"errors\": {\"connect\": %llu, \"read\": %llu, \"write\": %llu, \"eof\": %llu, "
           "\"protocol\": %llu, \"dropped\": %llu, \"socket\": %llu, \"last_connect_errno\": %d, "
           "\"last_connect_error\": \"%s\"}, "
           "\"cpu\": {\"user_s\": %.6f, \"sys_s\": %.6f, \"share\": %.4f}, "
           "\"polls\": %llu, \"empty_polls\": %llu, \"busy_poll\": %s, "
           "\"interrupted\": %s}\n",
           opt.mode, target, opt.conns, established, open_at_end, opt.size,
           opt.depth, opt.src_addrs, secs(t_conn - t_begin), opt.warmup, wall,
           (unsigned long long)rt_measured, (unsigned long long)rt_total,
           wall > 0 ? (double)rt_measured / wall : 0.0,
           wall > 0 ? (double)rt_measured * opt.size * 2 / wall : 0.0, hpct(&hist, 50),
           hpct(&hist, 90), hpct(&hist, 99), hpct(&hist, 99.9), (double)hist.max / 1000.0,
           hist.n ? hist.sum / (double)hist.n / 1000.0 : 0.0,
           (unsigned long long)err.connect_err, (unsigned long long)err.read_err,
           (unsigned long long)err.write_err, (unsigned long long)err.eof,
           (unsigned long long)err.protocol, (unsigned long long)err.dropped,
           (unsigned long long)err.socket_err, err.last_connect_errno,
           err.last_connect_errno ? strerror(err.last_connect_errno) : "",
           us, sy, wall > 0 ? (us + sy) / wall : 0.0, (unsigned long long)polls,
           (unsigned long long)empty_polls, opt.busy ? "true" : "false", stop_flag ? "true" : "false");
    fflush(stdout);
    return 0;
}
