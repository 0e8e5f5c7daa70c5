/*
 * CRC-64/NVME for Strongbox, as a Node-API addon: the JavaScript implementation runs at
 * 0.6-0.9 GiB/s, a quarter of an S3 PUT's CPU; slicing-by-8 in C is several times faster.
 * Parameters (../shared/spec/aws-sse.md §9.4): reflected polynomial 0x9a6c9329ac4bc9b5,
 * initial value and final xor all ones. The caller keeps the raw register (before the
 * final xor) in an 8-byte little-endian Buffer.
 */
#include <node_api.h>
#include <stdint.h>
#include <pthread.h>
#include <string.h>

#define POLY 0x9a6c9329ac4bc9b5ULL

static uint64_t table[8][256];

static void init_tables(void) {
  for (int i = 0; i < 256; i++) {
    uint64_t c = (uint64_t)i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ POLY : c >> 1;
    table[0][i] = c;
  }
  for (int i = 0; i < 256; i++) {
    uint64_t c = table[0][i];
    for (int t = 1; t < 8; t++) {
      c = table[0][c & 0xff] ^ (c >> 8);
      table[t][i] = c;
    }
  }
}

static uint64_t crc64_update(uint64_t crc, const uint8_t *p, size_t n) {
  while (n > 0 && ((uintptr_t)p & 7) != 0) {
    crc = table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    n--;
  }
  while (n >= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    crc ^= w; /* little-endian machines only: checked at load time */
    crc = table[7][crc & 0xff] ^ table[6][(crc >> 8) & 0xff] ^ table[5][(crc >> 16) & 0xff] ^
          table[4][(crc >> 24) & 0xff] ^ table[3][(crc >> 32) & 0xff] ^ table[2][(crc >> 40) & 0xff] ^
          table[1][(crc >> 48) & 0xff] ^ table[0][crc >> 56];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) crc = table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return crc;
}

/* crc64nvmeUpdate(state: Buffer(8), data: Uint8Array): undefined — updates state in place. */
static napi_value Crc64NvmeUpdate(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2) {
    napi_throw_type_error(env, NULL, "crc64nvmeUpdate(state, data)");
    return NULL;
  }
  void *state;
  size_t state_len;
  napi_typedarray_type type;
  size_t data_len;
  void *data;
  napi_value ab;
  size_t offset;
  if (napi_get_typedarray_info(env, argv[0], &type, &state_len, &state, &ab, &offset) != napi_ok ||
      type != napi_uint8_array || state_len != 8 ||
      napi_get_typedarray_info(env, argv[1], &type, &data_len, &data, &ab, &offset) != napi_ok ||
      type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "crc64nvmeUpdate expects (Uint8Array(8), Uint8Array)");
    return NULL;
  }
  uint64_t crc;
  memcpy(&crc, state, 8);
  crc = crc64_update(crc, (const uint8_t *)data, data_len);
  memcpy(state, &crc, 8);
  return NULL;
}

/* Worker threads load the addon too: build the shared tables exactly once. */
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static napi_value Init(napi_env env, napi_value exports) {
  pthread_once(&tables_once, init_tables);
  napi_value fn;
  if (napi_create_function(env, "crc64nvmeUpdate", NAPI_AUTO_LENGTH, Crc64NvmeUpdate, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "crc64nvmeUpdate", fn) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
