/* fuzz_unpack.c - request unpacking with the NUL check (common/pbcheck.c),
 * the first thing every RPC does with the bytes a client sent.
 *
 * The first input byte picks one of StageService's request types, the rest
 * is the message. The oracle is independent of pbcheck: the same bytes are
 * unpacked again through an allocator that records each allocation's size,
 * and protobuf-c allocates a string field's wire length + 1, so a string
 * whose strlen() + 1 is less than its allocation held a NUL on the wire.
 * Properties: pbcheck_unpack() never accepts such a message, and it refuses
 * nothing that protobuf-c accepts and that holds no 0 byte at all. */
#include "fuzz.h"

#include "err.h"
#include "pbcheck.h"

#include "stage/v1/stage.pb-c.h"

#include <stdbool.h>

#define MAX_ALLOCS 65536

static struct {
    void *p;
    size_t n;
} allocs[MAX_ALLOCS];
static size_t nallocs;

static void *rec_alloc(void *ud, size_t n)
{
    void *p = malloc(n);
    if (p && nallocs < MAX_ALLOCS) {
        allocs[nallocs].p = p;
        allocs[nallocs++].n = n;
    }
    return p;
}

static void rec_free(void *ud, void *p)
{
    free(p);
}

static ProtobufCAllocator recorder = {rec_alloc, rec_free, NULL};

/* The allocation size of `p`, 0 if not one of ours (a default value). */
static size_t alloc_size(const void *p)
{
    for (size_t i = 0; i < nallocs; i++)
        if (allocs[i].p == p)
            return allocs[i].n;
    return 0;
}

static bool string_has_nul(const char *s)
{
    size_t n = s ? alloc_size(s) : 0;
    return n && strlen(s) + 1 != n;
}

/* True if any string field of `m`, at any depth, held a NUL on the wire. */
static bool message_has_nul(const ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const char *base = (const char *)m;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            *(const uint32_t *)(const void *)(base + f->quantifier_offset) != f->id)
            continue;
        size_t n = 1;
        const void *const *items = (const void *const *)(const void *)(base + f->offset);
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            n = *(const size_t *)(const void *)(base + f->quantifier_offset);
            items = *(const void *const *const *)(const void *)(base + f->offset);
        }
        for (size_t k = 0; k < n; k++) {
            if (!items[k])
                continue;
            if (f->type == PROTOBUF_C_TYPE_STRING ? string_has_nul(items[k])
                                                  : message_has_nul(items[k]))
                return true;
        }
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ProtobufCServiceDescriptor *svc = &stage__v1__stage_service__descriptor;
    if (size < 1)
        return 0;
    const ProtobufCMessageDescriptor *desc = svc->methods[data[0] % svc->n_methods].input;
    data++;
    size--;

    nallocs = 0;
    ProtobufCMessage *truth = protobuf_c_message_unpack(desc, &recorder, size, data);
    bool nul = truth && message_has_nul(truth);

    ProtobufCMessage *msg = NULL;
    int rc = pbcheck_unpack(desc, data, size, &msg);
    FUZZ_CHECK(rc == 0 || rc == ST_EINVAL);
    FUZZ_CHECK((rc == 0) == (msg != NULL));
    if (rc == 0)
        FUZZ_CHECK(truth && !nul); /* a NUL got through */
    else /* a good message refused? (a NUL in a value overwritten by a later
          * copy of its field is invisible to the oracle, refused all the same) */
        FUZZ_CHECK(!truth || nul || memchr(data, '\0', size));
    if (msg)
        protobuf_c_message_free_unpacked(msg, NULL);
    if (truth)
        protobuf_c_message_free_unpacked(truth, &recorder);
    return 0;
}
