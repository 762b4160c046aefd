// Batched UDP I/O for the dgram floor benchmark (bench/dgram-floor.ts): one
// IPv4 UDP socket polled by libuv; each readable event drains the socket
// with recvmmsg (up to BATCH datagrams per call) and hands every batch to
// JS in ONE call (a shared receive area plus offset/length/port/address
// arrays, allocated once); queue() copies a datagram into a send area and
// flush() sends all queued ones with one sendmmsg. Linux only.
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

#define BATCH 64
#define SLOT 65536
#define SEND_AREA (1 << 20)

typedef struct {
  napi_env env;
  int fd;
  uv_poll_t poll;
  napi_ref cb, self, rbuf, offsets, lengths, ports, addrs;
  napi_async_context ctx;
  char *rarea;
  int32_t *off, *len, *port;
  uint32_t *addr;
  struct mmsghdr rmsg[BATCH];
  struct iovec riov[BATCH];
  struct sockaddr_in rfrom[BATCH];
  char *sarea;
  size_t sused;
  int squeued;
  struct mmsghdr smsg[BATCH];
  struct iovec siov[BATCH];
  struct sockaddr_in sto[BATCH];
  double dropped;
} sock_t;

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, #call " failed"); return NULL; } } while (0)

static void on_readable(uv_poll_t *h, int status, int events) {
  sock_t *s = (sock_t *)h->data;
  if (status < 0) return;
  napi_env env = s->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value cb, self, argv[6];
  napi_get_reference_value(env, s->cb, &cb);
  napi_get_reference_value(env, s->self, &self);
  napi_get_reference_value(env, s->rbuf, &argv[0]);
  napi_get_reference_value(env, s->offsets, &argv[1]);
  napi_get_reference_value(env, s->lengths, &argv[2]);
  napi_get_reference_value(env, s->ports, &argv[3]);
  napi_get_reference_value(env, s->addrs, &argv[4]);
  for (;;) {
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
    if (n <= 0) break;
    for (int i = 0; i < n; i++) {
      s->off[i] = i * SLOT;
      s->len[i] = (int32_t)s->rmsg[i].msg_len;
      s->port[i] = ntohs(s->rfrom[i].sin_port);
      s->addr[i] = ntohl(s->rfrom[i].sin_addr.s_addr);
    }
    napi_create_int32(env, n, &argv[5]);
    napi_value result;
    // make_callback: runs nextTicks and microtasks after the batch, as a dgram 'message' would
    napi_make_callback(env, s->ctx, self, cb, 6, argv, &result);
    if (n < BATCH) break;
  }
  napi_close_handle_scope(env, scope);
}

static sock_t *unwrap(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  void *p;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok) return NULL;
  if (napi_unwrap(env, self, &p) != napi_ok) return NULL;
  return (sock_t *)p;
}

static napi_value typed(napi_env env, napi_typedarray_type t, size_t n, void **data, napi_ref *ref) {
  napi_value ab, arr;
  napi_create_arraybuffer(env, n * 4, data, &ab);
  napi_create_typedarray(env, t, n, ab, 0, &arr);
  napi_create_reference(env, arr, 1, ref);
  return arr;
}

// new Socket(host: string (IPv4), port: number, onBatch(buf, offsets, lengths, ports, addrs, n))
static napi_value Socket(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], self;
  CHECK(napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  char host[64];
  size_t hl;
  int32_t port;
  CHECK(napi_get_value_string_utf8(env, argv[0], host, sizeof host, &hl));
  CHECK(napi_get_value_int32(env, argv[1], &port));
  sock_t *s = calloc(1, sizeof(sock_t));
  s->env = env;
  s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
  int rcvbuf = 4 << 20;
  if (s->fd < 0 || inet_pton(AF_INET, host, &a.sin_addr) != 1 || bind(s->fd, (struct sockaddr *)&a, sizeof a) != 0
      || setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) != 0) {
    napi_throw_error(env, NULL, strerror(errno));
    return NULL;
  }
  napi_value rb;
  CHECK(napi_create_buffer(env, (size_t)BATCH * SLOT, (void **)&s->rarea, &rb));
  CHECK(napi_create_reference(env, rb, 1, &s->rbuf));
  typed(env, napi_int32_array, BATCH, (void **)&s->off, &s->offsets);
  typed(env, napi_int32_array, BATCH, (void **)&s->len, &s->lengths);
  typed(env, napi_int32_array, BATCH, (void **)&s->port, &s->ports);
  typed(env, napi_uint32_array, BATCH, (void **)&s->addr, &s->addrs);
  s->sarea = malloc(SEND_AREA);
  CHECK(napi_create_reference(env, argv[2], 1, &s->cb));
  CHECK(napi_wrap(env, self, s, NULL, NULL, NULL));
  CHECK(napi_create_reference(env, self, 1, &s->self));
  napi_value name;
  napi_create_string_utf8(env, "mmsg", NAPI_AUTO_LENGTH, &name);
  CHECK(napi_async_init(env, NULL, name, &s->ctx));
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  uv_poll_init(loop, &s->poll, s->fd);
  s->poll.data = s;
  uv_poll_start(&s->poll, UV_READABLE, on_readable);
  return self;
}

static napi_value Port(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  sock_t *s = unwrap(env, info, &argc, NULL);
  struct sockaddr_in a;
  socklen_t l = sizeof a;
  getsockname(s->fd, (struct sockaddr *)&a, &l);
  napi_value r;
  napi_create_int32(env, ntohs(a.sin_port), &r);
  return r;
}

static void flush_now(sock_t *s) {
  int done = 0;
  while (done < s->squeued) {
    int n = sendmmsg(s->fd, s->smsg + done, s->squeued - done, MSG_DONTWAIT);
    if (n <= 0) { s->dropped += s->squeued - done; break; }  // EAGAIN: a real transport would poll for writable
    done += n;
  }
  s->squeued = 0;
  s->sused = 0;
}

// queue(buf, offset, length, port, addr (host order u32))
static napi_value Queue(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  sock_t *s = unwrap(env, info, &argc, argv);
  char *data;
  size_t blen;
  int32_t off, len, port;
  uint32_t addr;
  napi_get_buffer_info(env, argv[0], (void **)&data, &blen);
  napi_get_value_int32(env, argv[1], &off);
  napi_get_value_int32(env, argv[2], &len);
  napi_get_value_int32(env, argv[3], &port);
  napi_get_value_uint32(env, argv[4], &addr);
  if (off < 0 || len < 0 || (size_t)off + (size_t)len > blen) { napi_throw_range_error(env, NULL, "bad range"); return NULL; }
  if (s->squeued == BATCH || s->sused + (size_t)len > SEND_AREA) flush_now(s);
  char *dst = s->sarea + s->sused;
  memcpy(dst, data + off, (size_t)len);
  int i = s->squeued++;
  s->sused += (size_t)len;
  s->siov[i].iov_base = dst;
  s->siov[i].iov_len = (size_t)len;
  s->sto[i].sin_family = AF_INET;
  s->sto[i].sin_port = htons((uint16_t)port);
  s->sto[i].sin_addr.s_addr = htonl(addr);
  memset(&s->smsg[i].msg_hdr, 0, sizeof(struct msghdr));
  s->smsg[i].msg_hdr.msg_iov = &s->siov[i];
  s->smsg[i].msg_hdr.msg_iovlen = 1;
  s->smsg[i].msg_hdr.msg_name = &s->sto[i];
  s->smsg[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_in);
  return NULL;
}

static napi_value Flush(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  sock_t *s = unwrap(env, info, &argc, NULL);
  if (s->squeued > 0) flush_now(s);
  return NULL;
}

static napi_value Dropped(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  sock_t *s = unwrap(env, info, &argc, NULL);
  napi_value r;
  napi_create_double(env, s->dropped, &r);
  return r;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
    { "port", NULL, Port, NULL, NULL, NULL, napi_default, NULL },
    { "queue", NULL, Queue, NULL, NULL, NULL, napi_default, NULL },
    { "flush", NULL, Flush, NULL, NULL, NULL, napi_default, NULL },
    { "dropped", NULL, Dropped, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_value cls;
  napi_define_class(env, "Socket", NAPI_AUTO_LENGTH, Socket, NULL, 4, methods, &cls);
  napi_set_named_property(env, exports, "Socket", cls);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
