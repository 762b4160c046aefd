// Batched UDP I/O for libs/transport (udp-batched.ts), Linux only, IPv4.
// One UDP socket polled by libuv on Node's loop thread (no threads here):
//  - receive: each readable event drains the socket with recvmmsg, up to
//    BATCH datagrams per call. The datagrams are copied into one new Buffer
//    per batch (the parser keeps slices of a message, so the receive area
//    itself cannot be handed up) and JavaScript is called once per datagram,
//    each call its own callback scope (microtasks drain between messages, as
//    with dgram); offset / length / port / address go into typed arrays
//    allocated once.
//  - send: queue() copies a datagram into a send area (FIFO, bounded);
//    flush() sends everything queued with sendmmsg. EAGAIN keeps the rest
//    queued and polls for writable (no spinning); other errors drop the
//    datagram that failed, count it, and go on with the next one.
#define _GNU_SOURCE
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#define BATCH 64              /* datagrams per recvmmsg */
#define MAX_BATCHES 4         /* recvmmsg calls per readable event: other I/O gets its turn */
#define SLOT 65536            /* largest UDP payload fits one slot */
#define SQ_MAX 1024           /* datagrams queued for sending (UIO_MAXIOV) */
#define SEND_AREA (4 << 20)   /* bytes queued for sending */

typedef struct {
  napi_env env;
  int fd;
  int closed;
  int events;
  uv_poll_t poll;
  napi_ref on_batch, self, on_close, meta_ref;
  napi_async_context actx;
  // receive
  char *rarea;
  int32_t *meta; /* 4 x BATCH: offset, length, port, address (host order, as uint32 bits) */
  struct mmsghdr rmsg[BATCH];
  struct iovec riov[BATCH];
  struct sockaddr_in rfrom[BATCH];
  // send queue: entries [shead, scount) are pending
  char *sarea;
  size_t sused;
  int shead, scount;
  struct mmsghdr smsg[SQ_MAX];
  struct iovec siov[SQ_MAX];
  struct sockaddr_in sto[SQ_MAX];
  double send_failed; /* datagrams dropped by a send error, not yet reported to JS */
  int last_errno;
} sock_t;

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, #call " failed"); return NULL; } } while (0)

static void on_events(uv_poll_t *h, int status, int events);

/* Calls JS from a libuv callback; a throw becomes the process's uncaught exception, as from any Node callback. */
static void call_js(sock_t *s, napi_value self, napi_value cb, size_t argc, napi_value *argv) {
  napi_value r, err;
  if (napi_make_callback(s->env, s->actx, self, cb, argc, argv, &r) == napi_pending_exception
      && napi_get_and_clear_last_exception(s->env, &err) == napi_ok) {
    napi_fatal_exception(s->env, err);
  }
}

static void set_events(sock_t *s, int events) {
  if (s->closed || s->events == events) return;
  s->events = events;
  uv_poll_start(&s->poll, events, on_events);
}

/* Send what is queued. Returns when the queue is empty or the socket would block. */
static void flush_now(sock_t *s) {
  while (s->shead < s->scount) {
    int n = sendmmsg(s->fd, s->smsg + s->shead, (unsigned)(s->scount - s->shead), MSG_DONTWAIT);
    if (n > 0) { s->shead += n; continue; }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      set_events(s, UV_READABLE | UV_WRITABLE); /* resume when the kernel has room */
      return;
    }
    /* the first pending datagram failed (EMSGSIZE, ENETUNREACH, ENOBUFS...): drop it, go on */
    s->last_errno = errno;
    s->send_failed += 1;
    s->shead++;
  }
  s->shead = s->scount = 0;
  s->sused = 0;
  set_events(s, UV_READABLE);
}

static void receive(sock_t *s) {
  napi_env env = s->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value cb, self, argv[2];
  napi_get_reference_value(env, s->on_batch, &cb);
  napi_get_reference_value(env, s->self, &self);
  for (int b = 0; b < MAX_BATCHES && !s->closed; b++) {
    for (int i = 0; i < BATCH; i++) {
      s->riov[i].iov_base = s->rarea + (size_t)i * SLOT;
      s->riov[i].iov_len = SLOT;
      memset(&s->rmsg[i].msg_hdr, 0, sizeof(struct msghdr));
      s->rmsg[i].msg_hdr.msg_iov = &s->riov[i];
      s->rmsg[i].msg_hdr.msg_iovlen = 1;
      s->rmsg[i].msg_hdr.msg_name = &s->rfrom[i];
      s->rmsg[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_in);
    }
    int n = recvmmsg(s->fd, s->rmsg, BATCH, MSG_DONTWAIT, NULL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
      /* hand the error up as a negative count (ICMP errors and the like): counted, never fatal */
      napi_create_int32(env, -errno, &argv[0]);
      napi_get_undefined(env, &argv[1]);
      call_js(s, self, cb, 2, argv);
      break;
    }
    if (n == 0) break;
    size_t total = 0;
    for (int i = 0; i < n; i++) total += s->rmsg[i].msg_len;
    char *dst;
    napi_create_buffer(env, total > 0 ? total : 1, (void **)&dst, &argv[1]);
    size_t at = 0;
    for (int i = 0; i < n; i++) {
      memcpy(dst + at, s->rarea + (size_t)i * SLOT, s->rmsg[i].msg_len);
      at += s->rmsg[i].msg_len;
    }
    /* One JS call per datagram (n = 1), each its own make_callback: nextTicks and
       microtasks run after each message, as after a dgram 'message'. The handler's
       promise chain for one message completes before the next message is seen,
       which the proxy relies on (e.g. a 180 and a 200 in one batch must leave in
       that order). What the batch saves is still there: one recvmmsg, one Buffer,
       no rinfo object, and the sends of the whole batch in one sendmmsg. */
    at = 0;
    napi_create_int32(env, 1, &argv[0]);
    for (int i = 0; i < n && !s->closed; i++) {
      size_t len = s->rmsg[i].msg_len;
      s->meta[0] = (int32_t)at;
      s->meta[BATCH] = (int32_t)len;
      s->meta[2 * BATCH] = ntohs(s->rfrom[i].sin_port);
      s->meta[3 * BATCH] = (int32_t)ntohl(s->rfrom[i].sin_addr.s_addr);
      at += len;
      call_js(s, self, cb, 2, argv);
    }
    if (n < BATCH) break;
  }
  napi_close_handle_scope(env, scope);
}

static void on_events(uv_poll_t *h, int status, int events) {
  sock_t *s = (sock_t *)h->data;
  if (s->closed) return;
  if (status < 0) { s->last_errno = -status; return; }
  if (events & UV_WRITABLE) flush_now(s);
  if (events & UV_READABLE) receive(s);
}

static sock_t *unwrap(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  void *p;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok) return NULL;
  if (napi_unwrap(env, self, &p) != napi_ok) return NULL;
  return (sock_t *)p;
}

static void finalize(napi_env env, void *data, void *hint) {
  sock_t *s = (sock_t *)data;
  /* only reached once closed (self is a strong reference until then), or at env teardown */
  if (!s->closed && s->fd >= 0) close(s->fd);
  if (s->closed) free(s);
}

static int throw_errno(napi_env env, const char *what, int err) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_value code, m, e;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_int32(env, err, &code);
  napi_create_error(env, NULL, m, &e);
  napi_set_named_property(env, e, "errno", code);
  napi_throw(env, e);
  return 0;
}

// new Socket(host: string (IPv4 literal), port, recvBufferSize (0 = OS default), sendBufferSize, onBatch(n, buf))
static napi_value Socket(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], self;
  CHECK(napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  char host[64];
  size_t hl;
  int32_t port, rcvbuf, sndbuf;
  CHECK(napi_get_value_string_utf8(env, argv[0], host, sizeof host, &hl));
  CHECK(napi_get_value_int32(env, argv[1], &port));
  CHECK(napi_get_value_int32(env, argv[2], &rcvbuf));
  CHECK(napi_get_value_int32(env, argv[3], &sndbuf));
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
  if (inet_pton(AF_INET, host, &a.sin_addr) != 1) { napi_throw_type_error(env, NULL, "not an IPv4 address"); return NULL; }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) { throw_errno(env, "socket", errno); return NULL; }
  if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0
      || (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) != 0)
      || (sndbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf) != 0)) {
    int err = errno;
    close(fd);
    throw_errno(env, "bind", err);
    return NULL;
  }
  sock_t *s = calloc(1, sizeof(sock_t));
  s->env = env;
  s->fd = fd;
  s->rarea = malloc((size_t)BATCH * SLOT);
  s->sarea = malloc(SEND_AREA);
  napi_value ab, meta;
  CHECK(napi_create_arraybuffer(env, 4 * BATCH * sizeof(int32_t), (void **)&s->meta, &ab));
  CHECK(napi_create_typedarray(env, napi_int32_array, 4 * BATCH, ab, 0, &meta));
  CHECK(napi_create_reference(env, meta, 1, &s->meta_ref));
  CHECK(napi_create_reference(env, argv[4], 1, &s->on_batch));
  CHECK(napi_wrap(env, self, s, finalize, NULL, NULL));
  CHECK(napi_create_reference(env, self, 1, &s->self));
  napi_value name;
  napi_create_string_utf8(env, "sbc_udp", NAPI_AUTO_LENGTH, &name);
  CHECK(napi_async_init(env, NULL, name, &s->actx));
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  uv_poll_init(loop, &s->poll, s->fd);
  s->poll.data = s;
  set_events(s, UV_READABLE);
  return self;
}

// meta(): Int32Array of 4 x BATCH (offsets, lengths, ports, addresses) filled before each onBatch
static napi_value Meta(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  sock_t *s = unwrap(env, info, &argc, NULL);
  napi_value r;
  napi_get_reference_value(env, s->meta_ref, &r);
  return r;
}

static napi_value Port(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  sock_t *s = unwrap(env, info, &argc, NULL);
  struct sockaddr_in a;
  socklen_t l = sizeof a;
  napi_value r;
  if (s == NULL || s->closed || getsockname(s->fd, (struct sockaddr *)&a, &l) != 0) { napi_get_undefined(env, &r); return r; }
  napi_create_int32(env, ntohs(a.sin_port), &r);
  return r;
}

// bufferSizes(): [SO_RCVBUF, SO_SNDBUF] as the kernel set them
static napi_value BufferSizes(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  sock_t *s = unwrap(env, info, &argc, NULL);
  int rcv = 0, snd = 0;
  socklen_t l = sizeof rcv;
  getsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rcv, &l);
  l = sizeof snd;
  getsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &snd, &l);
  napi_value r, v;
  napi_create_array_with_length(env, 2, &r);
  napi_create_int32(env, rcv, &v);
  napi_set_element(env, r, 0, v);
  napi_create_int32(env, snd, &v);
  napi_set_element(env, r, 1, v);
  return r;
}

// queue(buf, port, addr (host order, uint32 bits)): true when queued, false when the queue is full (dropped)
static napi_value Queue(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], r;
  sock_t *s = unwrap(env, info, &argc, argv);
  char *data;
  size_t len;
  int32_t port;
  uint32_t addr;
  if (s == NULL || s->closed) { napi_get_boolean(env, false, &r); return r; }
  if (napi_get_buffer_info(env, argv[0], (void **)&data, &len) != napi_ok) { napi_throw_type_error(env, NULL, "not a Buffer"); return NULL; }
  napi_get_value_int32(env, argv[1], &port);
  napi_get_value_uint32(env, argv[2], &addr);
  if (len > SLOT) { s->last_errno = EMSGSIZE; napi_get_boolean(env, false, &r); return r; }
  /* full: send what is queued first (keeps order); still full (the kernel is not taking any) = drop */
  if (s->scount == SQ_MAX || s->sused + len > SEND_AREA) flush_now(s);
  if (s->scount == SQ_MAX || s->sused + len > SEND_AREA) { s->last_errno = ENOBUFS; napi_get_boolean(env, false, &r); return r; }
  char *dst = s->sarea + s->sused;
  memcpy(dst, data, len);
  int i = s->scount++;
  s->sused += len;
  s->siov[i].iov_base = dst;
  s->siov[i].iov_len = len;
  memset(&s->sto[i], 0, sizeof(struct sockaddr_in));
  s->sto[i].sin_family = AF_INET;
  s->sto[i].sin_port = htons((uint16_t)port);
  s->sto[i].sin_addr.s_addr = htonl(addr);
  memset(&s->smsg[i].msg_hdr, 0, sizeof(struct msghdr));
  s->smsg[i].msg_hdr.msg_iov = &s->siov[i];
  s->smsg[i].msg_hdr.msg_iovlen = 1;
  s->smsg[i].msg_hdr.msg_name = &s->sto[i];
  s->smsg[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_in);
  napi_get_boolean(env, true, &r);
  return r;
}

// flush(): sends what is queued (unless the socket is waiting for room); returns how many
// datagrams were dropped by send errors since the last call (0 almost always)
static napi_value Flush(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  sock_t *s = unwrap(env, info, &argc, NULL);
  napi_value r;
  if (s == NULL) return NULL;
  if (!s->closed && s->scount > s->shead && !(s->events & UV_WRITABLE)) flush_now(s);
  napi_create_double(env, s->send_failed, &r);
  s->send_failed = 0;
  return r;
}

// pending(): datagrams queued and not yet sent
static napi_value Pending(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  sock_t *s = unwrap(env, info, &argc, NULL);
  napi_value r;
  napi_create_int32(env, s == NULL ? 0 : s->scount - s->shead, &r);
  return r;
}

// lastError(): strerror of the last send/socket error, or undefined
static napi_value LastError(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  sock_t *s = unwrap(env, info, &argc, NULL);
  napi_value r;
  if (s == NULL || s->last_errno == 0) { napi_get_undefined(env, &r); return r; }
  napi_create_string_utf8(env, strerror(s->last_errno), NAPI_AUTO_LENGTH, &r);
  return r;
}

static void on_closed(uv_handle_t *h) {
  sock_t *s = (sock_t *)h->data;
  napi_env env = s->env;
  close(s->fd);
  s->fd = -1;
  free(s->rarea);
  free(s->sarea);
  s->rarea = s->sarea = NULL;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value cb, self;
  int have_cb = s->on_close != NULL && napi_get_reference_value(env, s->on_close, &cb) == napi_ok && cb != NULL;
  napi_get_reference_value(env, s->self, &self);
  if (have_cb) call_js(s, self, cb, 0, NULL);
  napi_close_handle_scope(env, scope);
  if (s->on_close) napi_delete_reference(env, s->on_close);
  napi_delete_reference(env, s->on_batch);
  napi_delete_reference(env, s->meta_ref);
  napi_async_destroy(env, s->actx);
  /* last: the object may now be collected, and its finalizer frees s */
  napi_delete_reference(env, s->self);
}

// close(cb): sends what can be sent without waiting, stops polling, closes the fd; cb() once closed
static napi_value Close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  sock_t *s = unwrap(env, info, &argc, argv);
  if (s == NULL || s->closed) return NULL;
  if (s->scount > s->shead) {
    s->events = 0; /* no writable polling from here on */
    flush_now(s);
  }
  s->closed = 1;
  if (argc >= 1) napi_create_reference(env, argv[0], 1, &s->on_close);
  uv_poll_stop(&s->poll);
  uv_close((uv_handle_t *)&s->poll, on_closed);
  return NULL;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
    { "meta", NULL, Meta, NULL, NULL, NULL, napi_default, NULL },
    { "port", NULL, Port, NULL, NULL, NULL, napi_default, NULL },
    { "bufferSizes", NULL, BufferSizes, NULL, NULL, NULL, napi_default, NULL },
    { "queue", NULL, Queue, NULL, NULL, NULL, napi_default, NULL },
    { "flush", NULL, Flush, NULL, NULL, NULL, napi_default, NULL },
    { "pending", NULL, Pending, NULL, NULL, NULL, napi_default, NULL },
    { "lastError", NULL, LastError, NULL, NULL, NULL, napi_default, NULL },
    { "close", NULL, Close, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_value cls, batch;
  napi_define_class(env, "Socket", NAPI_AUTO_LENGTH, Socket, NULL, sizeof methods / sizeof methods[0], methods, &cls);
  napi_set_named_property(env, exports, "Socket", cls);
  napi_create_int32(env, BATCH, &batch);
  napi_set_named_property(env, exports, "BATCH", batch);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
