/*
 * tls_loadgen — the TLS twin of loadgen.c's echo mode, for the TLS echo workloads.
 *
 * Single-threaded, edge-triggered epoll, non-blocking OpenSSL (libssl) client:
 * N connections, each completes a TLS handshake, then keeps `depth` messages of
 * `size` bytes in flight, reads every echo back in full and sends the next.  The
 * handshakes happen in the connect phase, before the measured window.  Same stdout
 * protocol and final JSON as loadgen.c (measure.py's Runner.echo reads either):
 *   @connected <n> <errors> <seconds>   every handshake done (or timed out)
 *   @start / @progress <s> <rt> / @end  the measured window
 *   {json}                              final report, always the last line
 * The certificate is not verified (the load generator measures the server, not
 * PKI); TLS version and cipher are OpenSSL's defaults unless --tls12/--cipher.
 *
 * Build: cc -O2 -o tls_loadgen tls_loadgen.c -lssl -lcrypto -lm
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RXBUF (256 * 1024)
#define MAXEV 1024

/* ---------------------------------------------------------------- histogram (as loadgen.c) */
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
static double hval(int i) {
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
static double hpct(const hist_t *h, double p) {
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
enum { C_FREE, C_CONNECTING, C_HANDSHAKE, C_ACTIVE, C_CLOSED };

typedef struct {
    int fd;
    uint8_t state, want_write; /* want_write: SSL_write is waiting for EPOLLOUT */
    SSL *ssl;
    uint32_t to_send, rx_partial, head, count;
    uint64_t *ts;
} conn_t;

static struct {
    const char *host, *cipher;
    int port, conns, size, depth, batch, quiet, tls12;
    double duration, warmup, connect_timeout, progress;
} opt = {"127.0.0.1", NULL, 0, 50, 64, 1, 64, 0, 0, 5.0, 1.0, 30.0, 1.0};

static struct {
    uint64_t connect_err, handshake_err, read_err, write_err, eof, protocol;
    int last_connect_errno;
} err;

static SSL_CTX *ctx;
static conn_t *conns;
static int ep;
static char *txbuf, *rxbuf;
static uint32_t txlen;
static hist_t hist;
static volatile sig_atomic_t stop_flag;
static int established, pending, closed_count, measuring, stopping;
static uint64_t rt_total, rt_measured, rt_interval;
/* What the first handshake negotiated ("TLSv1.3", "TLS_AES_256_GCM_SHA384"): the report
 * names the suite measured, which differs between TLS stacks (Go prefers AES-128). */
static char neg_version[32] = "", neg_cipher[64] = "";

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}
static double secs(uint64_t ns) { return (double)ns / 1e9; }
static void on_signal(int sig) { (void)sig; stop_flag = 1; }

static void close_conn(conn_t *c) {
    if (c->state == C_FREE || c->state == C_CLOSED) return;
    if (c->state == C_CONNECTING || c->state == C_HANDSHAKE) pending--;
    if (c->ssl) SSL_free(c->ssl); /* no close_notify: the run is over or the conn failed */
    c->ssl = NULL;
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
    c->want_write = 0;
    while (c->to_send > 0) {
        uint32_t n = c->to_send < txlen ? c->to_send : txlen;
        int w = SSL_write(c->ssl, txbuf, (int)n);
        if (w > 0) {
            c->to_send -= (uint32_t)w;
            continue;
        }
        int e = SSL_get_error(c->ssl, w);
        if (e == SSL_ERROR_WANT_WRITE) { c->want_write = 1; return; }
        if (e == SSL_ERROR_WANT_READ) return;
        err.write_err++;
        close_conn(c);
        return;
    }
}

static void do_read(conn_t *c) {
    for (;;) {
        int r = SSL_read(c->ssl, rxbuf, RXBUF);
        if (r > 0) {
            uint64_t t = now_ns();
            uint64_t total = c->rx_partial + (uint64_t)r;
            while (total >= (uint64_t)opt.size) {
                if (c->count == 0) { err.protocol++; close_conn(c); return; }
                total -= (uint64_t)opt.size;
                uint64_t ts = c->ts[c->head];
                c->head = (c->head + 1) % (uint32_t)opt.depth;
                c->count--;
                rt_total++;
                if (measuring) { hadd(&hist, t - ts); rt_measured++; rt_interval++; }
                if (!stopping) queue_msg(c, t);
            }
            c->rx_partial = (uint32_t)total;
            continue; /* drain OpenSSL and the socket until WANT_READ (edge-triggered) */
        }
        int e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_READ) break;
        if (e == SSL_ERROR_WANT_WRITE) { c->want_write = 1; break; }
        if (e == SSL_ERROR_ZERO_RETURN) err.eof++;
        else err.read_err++;
        close_conn(c);
        return;
    }
    if (c->state == C_ACTIVE && c->to_send && !c->want_write) do_write(c);
}

static void do_handshake(conn_t *c) {
    int r = SSL_do_handshake(c->ssl);
    if (r == 1) {
        c->state = C_ACTIVE;
        pending--;
        established++;
        if (!neg_cipher[0]) {
            snprintf(neg_version, sizeof neg_version, "%s", SSL_get_version(c->ssl));
            snprintf(neg_cipher, sizeof neg_cipher, "%s", SSL_get_cipher_name(c->ssl));
        }
        for (int i = 0; i < opt.depth; i++) queue_msg(c, now_ns());
        if (measuring || !stopping) do_write(c);
        return;
    }
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return;
    err.handshake_err++;
    close_conn(c);
}

static void dispatch(uint32_t idx, uint32_t ev) {
    conn_t *c = &conns[idx];
    if (c->state == C_CONNECTING) {
        if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
        int e = 0;
        socklen_t el = sizeof e;
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0) e = errno;
        if (e == 0 && (ev & EPOLLHUP)) e = ECONNRESET;
        if (e) { err.connect_err++; err.last_connect_errno = e; close_conn(c); return; }
        c->ssl = SSL_new(ctx);
        SSL_set_fd(c->ssl, c->fd);
        SSL_set_connect_state(c->ssl);
        c->state = C_HANDSHAKE;
        do_handshake(c);
        return;
    }
    if (c->state == C_HANDSHAKE) {
        do_handshake(c);
        if (c->state == C_ACTIVE && (ev & EPOLLIN)) do_read(c);
        return;
    }
    if (c->state == C_ACTIVE) {
        if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) do_read(c);
        if (c->state == C_ACTIVE && (ev & EPOLLOUT) && c->want_write) do_write(c);
    }
}

static struct sockaddr_in dst;

static void start_connect(int i) {
    conn_t *c = &conns[i];
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) { err.connect_err++; err.last_connect_errno = errno; c->state = C_CLOSED; closed_count++; return; }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->fd = fd;
    c->state = C_CONNECTING;
    pending++;
    struct epoll_event e = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.u32 = (uint32_t)i};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) < 0 ||
        (connect(fd, (struct sockaddr *)&dst, sizeof dst) < 0 && errno != EINPROGRESS)) {
        err.connect_err++;
        err.last_connect_errno = errno;
        close_conn(c);
    }
}

static int poll_once(int timeout_ms) {
    static struct epoll_event evs[MAXEV];
    int n = epoll_wait(ep, evs, MAXEV, timeout_ms);
    if (n < 0) return errno == EINTR ? 0 : -1;
    for (int k = 0; k < n; k++) dispatch(evs[k].data.u32, evs[k].events);
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

int main(int argc, char **argv) {
    static struct option lo[] = {
        {"host", 1, 0, 'h'}, {"port", 1, 0, 'p'}, {"mode", 1, 0, 'm'}, {"conns", 1, 0, 'c'},
        {"size", 1, 0, 's'}, {"depth", 1, 0, 'd'}, {"duration", 1, 0, 'D'}, {"warmup", 1, 0, 'w'},
        {"connect-batch", 1, 0, 'b'}, {"connect-timeout", 1, 0, 't'}, {"progress", 1, 0, 'P'},
        {"quiet", 0, 0, 'q'}, {"tls12", 0, 0, '2'}, {"cipher", 1, 0, 'C'}, {"busy-poll", 0, 0, 'B'},
        {0, 0, 0, 0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 'h': opt.host = optarg; break;
        case 'p': opt.port = atoi(optarg); break;
        case 'm': if (strcmp(optarg, "echo") != 0) { fprintf(stderr, "tls_loadgen: echo mode only\n"); return 2; } break;
        case 'c': opt.conns = atoi(optarg); break;
        case 's': opt.size = atoi(optarg); break;
        case 'd': opt.depth = atoi(optarg); break;
        case 'D': opt.duration = atof(optarg); break;
        case 'w': opt.warmup = atof(optarg); break;
        case 'b': opt.batch = atoi(optarg); break;
        case 't': opt.connect_timeout = atof(optarg); break;
        case 'P': opt.progress = atof(optarg); break;
        case 'q': opt.quiet = 1; break;
        case '2': opt.tls12 = 1; break;
        case 'C': opt.cipher = optarg; break;
        case 'B': break; /* accepted for loadgen compatibility; always blocking epoll */
        default:
            fprintf(stderr, "usage: tls_loadgen --port P [--host H] [--conns N] [--size B] [--depth D]\n"
                            "  [--duration S] [--warmup S] [--connect-batch B] [--connect-timeout S]\n"
                            "  [--progress S] [--quiet] [--tls12] [--cipher SUITE]\n");
            return 2;
        }
    }
    if (opt.conns < 1 || opt.size < 1 || opt.depth < 1 || opt.batch < 1 || opt.duration <= 0 ||
        opt.port < 1 || opt.port > 65535) {
        fprintf(stderr, "tls_loadgen: bad arguments\n");
        return 2;
    }
    if (opt.duration > 3600) opt.duration = 3600;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    if (opt.tls12) SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
    if (opt.cipher && !(opt.tls12 ? SSL_CTX_set_cipher_list(ctx, opt.cipher)
                                  : SSL_CTX_set_ciphersuites(ctx, opt.cipher))) {
        fprintf(stderr, "tls_loadgen: unknown cipher %s\n", opt.cipher);
        return 2;
    }
    dst.sin_family = AF_INET;
    dst.sin_port = htons((uint16_t)opt.port);
    if (inet_pton(AF_INET, opt.host, &dst.sin_addr) != 1 || (ntohl(dst.sin_addr.s_addr) >> 24) != 127) {
        fprintf(stderr, "tls_loadgen: --host must be a 127.x IPv4 address\n");
        return 2;
    }
    conns = calloc((size_t)opt.conns, sizeof *conns);
    uint64_t *tsbuf = calloc((size_t)opt.conns * (size_t)opt.depth, sizeof *tsbuf);
    txlen = (uint32_t)opt.size * (uint32_t)opt.depth;
    txbuf = malloc(txlen);
    rxbuf = malloc(RXBUF);
    if (!conns || !tsbuf || !txbuf || !rxbuf) { fprintf(stderr, "tls_loadgen: out of memory\n"); return 1; }
    memset(txbuf, 'x', txlen);
    for (int i = 0; i < opt.conns; i++) { conns[i].fd = -1; conns[i].ts = tsbuf + (size_t)i * (size_t)opt.depth; }
    ep = epoll_create1(EPOLL_CLOEXEC);

    /* ---- connect + handshake phase: at most `batch` in flight */
    uint64_t t_begin = now_ns(), cdeadline = t_begin + (uint64_t)(opt.connect_timeout * 1e9);
    int next = 0;
    while ((next < opt.conns || pending > 0) && !stop_flag) {
        uint64_t t = now_ns();
        if (t >= cdeadline) break;
        while (next < opt.conns && pending < opt.batch) start_connect(next++);
        if (poll_once(ms_until(cdeadline, t) > 50 ? 50 : ms_until(cdeadline, t)) < 0) break;
    }
    for (int i = 0; i < opt.conns; i++)
        if (conns[i].state == C_CONNECTING || conns[i].state == C_HANDSHAKE) {
            err.connect_err++;
            err.last_connect_errno = ETIMEDOUT;
            close_conn(&conns[i]);
        }
    uint64_t t_conn = now_ns();
    if (!opt.quiet) {
        printf("@connected %d %llu %.6f\n", established, (unsigned long long)(err.connect_err + err.handshake_err), secs(t_conn - t_begin));
        fflush(stdout);
    }

    /* ---- echo: warmup, then the measured window */
    struct rusage ru0, ru1;
    uint64_t t0 = now_ns(), t_start = t0 + (uint64_t)(opt.warmup * 1e9);
    uint64_t t_stop = t_start + (uint64_t)(opt.duration * 1e9);
    uint64_t pstep = (uint64_t)((opt.progress > 0 ? opt.progress : 1.0) * 1e9), next_tick = t_start + pstep;
    while (!stop_flag) {
        uint64_t t = now_ns();
        if (!measuring && t >= t_start) {
            measuring = 1;
            t_start = t;
            next_tick = t + pstep;
            getrusage(RUSAGE_SELF, &ru0);
            if (!opt.quiet) { printf("@start\n"); fflush(stdout); }
        }
        if (t >= t_stop) break;
        if (measuring && t >= next_tick) {
            if (!opt.quiet && opt.progress > 0) {
                printf("@progress %.3f %llu\n", secs(t - t_start), (unsigned long long)rt_interval);
                fflush(stdout);
            }
            rt_interval = 0;
            next_tick += pstep;
        }
        if (closed_count >= opt.conns) break;
        uint64_t dl = measuring ? (next_tick < t_stop ? next_tick : t_stop) : t_start;
        if (poll_once(ms_until(dl, t)) < 0) break;
    }
    stopping = 1;
    if (!measuring) { t_start = now_ns(); getrusage(RUSAGE_SELF, &ru0); }
    measuring = 0;
    uint64_t t_end = now_ns();
    getrusage(RUSAGE_SELF, &ru1);
    if (!opt.quiet) { printf("@end\n"); fflush(stdout); }
    int open_at_end = 0;
    for (int i = 0; i < opt.conns; i++) {
        if (conns[i].state == C_ACTIVE) open_at_end++;
        close_conn(&conns[i]);
    }
    double wall = secs(t_end - t_start);
    double us = cpu_s(&ru1, 1) - cpu_s(&ru0, 1), sy = cpu_s(&ru1, 0) - cpu_s(&ru0, 0);
    printf("{\"mode\": \"echo\", \"tls\": true, \"target\": \"%s:%d\", \"conns\": %d, \"established\": %d, "
           "\"open_at_end\": %d, \"size\": %d, \"depth\": %d, \"connect_s\": %.6f, \"warmup_s\": %.3f, "
           "\"duration_s\": %.6f, \"round_trips\": %llu, \"round_trips_total\": %llu, \"rps\": %.1f, "
           "\"bytes_per_s\": %.1f, \"latency_us\": {\"p50\": %.2f, \"p90\": %.2f, \"p99\": %.2f, "
           "\"p999\": %.2f, \"max\": %.2f, \"mean\": %.2f}, \"errors\": {\"connect\": %llu, "
           "\"handshake\": %llu, \"read\": %llu, \"write\": %llu, \"eof\": %llu, \"protocol\": %llu, "
           "\"last_connect_errno\": %d}, \"cpu\": {\"user_s\": %.6f, \"sys_s\": %.6f, \"share\": %.4f}, "
           "\"interrupted\": %s, \"version\": \"%s\", \"cipher\": \"%s\"}\n",
           opt.host, opt.port, opt.conns, established, open_at_end, opt.size, opt.depth,
           secs(t_conn - t_begin), opt.warmup, wall, (unsigned long long)rt_measured,
           (unsigned long long)rt_total, wall > 0 ? (double)rt_measured / wall : 0.0,
           wall > 0 ? (double)rt_measured * opt.size * 2 / wall : 0.0, hpct(&hist, 50), hpct(&hist, 90),
           hpct(&hist, 99), hpct(&hist, 99.9), (double)hist.max / 1000.0,
           hist.n ? hist.sum / (double)hist.n / 1000.0 : 0.0, (unsigned long long)err.connect_err,
           (unsigned long long)err.handshake_err, (unsigned long long)err.read_err,
           (unsigned long long)err.write_err, (unsigned long long)err.eof, (unsigned long long)err.protocol,
           err.last_connect_errno, us, sy, wall > 0 ? (us + sy) / wall : 0.0, stop_flag ? "true" : "false",
           neg_version, neg_cipher);
    fflush(stdout);
    SSL_CTX_free(ctx);
    return 0;
}
