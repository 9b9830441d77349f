/*
 * keywords - see keywords.h.
 *
 * A trie over byte classes (bytes that occur in no keyword share class 0),
 * turned into a full DFA: every state has a next state for every class, so
 * scanning is one lookup per byte.  Each state keeps the list of keywords
 * that end there, including those reached through failure links, so a hit
 * never needs to walk links at scan time.
 */
#include "keywords.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct keywords_output {
    unsigned id;
    uint32_t len; /* bytes of the keyword */
};

struct keywords {
    uint8_t byte_class[256];
    unsigned nclasses; /* including class 0 for bytes in no keyword */
    /* Trie while building: next[state * nclasses + class] is a state.  After
     * compile it is the target's row offset, flagged KEYWORDS_OUTPUT when the
     * target ends some keyword. */
    uint32_t *next;
    uint32_t nstates, states_cap;
    /* Keywords ending at each state: outputs[out_start[s] .. out_start[s + 1]). */
    struct keywords_output *outputs;
    uint32_t *out_start;
    /* Kept until compile: the keywords themselves. */
    struct keywords_pending {
        char *word;
        size_t len;
        unsigned id;
    } * pending;
    size_t npending, pending_cap;
    bool compiled;
};

/* Set on a transition whose target state ends some keyword: the scan loop
 * tests one bit instead of loading the output table for every byte. */
#define KEYWORDS_OUTPUT 0x80000000u

static uint8_t keywords_fold(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c - 'A' + 'a') : c;
}

struct keywords *keywords_new(void)
{
    return calloc(1, sizeof(struct keywords));
}

void keywords_free(struct keywords *kw)
{
    if (kw == NULL)
        return;
    for (size_t i = 0; i < kw->npending; i++)
        free(kw->pending[i].word);
    free(kw->pending);
    free(kw->next);
    free(kw->outputs);
    free(kw->out_start);
    free(kw);
}

int keywords_add(struct keywords *kw, const char *word, size_t len, unsigned id)
{
    if (kw->compiled || len == 0)
        return -1;
    if (kw->npending == kw->pending_cap) {
        size_t cap = kw->pending_cap ? kw->pending_cap * 2 : 64;
        struct keywords_pending *grown = realloc(kw->pending, cap * sizeof(*grown));
        if (grown == NULL)
            return -1;
        kw->pending = grown;
        kw->pending_cap = cap;
    }
    char *copy = malloc(len);
    if (copy == NULL)
        return -1;
    for (size_t i = 0; i < len; i++)
        copy[i] = (char)keywords_fold((uint8_t)word[i]);
    kw->pending[kw->npending++] = (struct keywords_pending){copy, len, id};
    return 0;
}

/* A new trie state with no transitions (0 means "none" while building). */
static int keywords_new_state(struct keywords *kw, uint32_t *state)
{
    if (kw->nstates == kw->states_cap) {
        uint32_t cap = kw->states_cap ? kw->states_cap * 2 : 256;
        uint32_t *grown = realloc(kw->next, (size_t)cap * kw->nclasses * sizeof(*grown));
        if (grown == NULL)
            return -1;
        kw->next = grown;
        kw->states_cap = cap;
    }
    memset(kw->next + (size_t)kw->nstates * kw->nclasses, 0,
           kw->nclasses * sizeof(uint32_t));
    *state = kw->nstates++;
    return 0;
}

int keywords_compile(struct keywords *kw)
{
    uint32_t *end_state = NULL, *fail = NULL, *queue = NULL, *count = NULL;
    int rc = -1;

    if (kw->compiled)
        return -1;
    /* Byte classes: one per byte used in some keyword. */
    bool used[256] = {false};
    for (size_t i = 0; i < kw->npending; i++)
        for (size_t j = 0; j < kw->pending[i].len; j++)
            used[(uint8_t)kw->pending[i].word[j]] = true;
    kw->nclasses = 1;
    for (int c = 0; c < 256; c++) {
        uint8_t folded = keywords_fold((uint8_t)c);
        if (folded != c)
            continue; /* upper case: set from its lower-case byte below */
        kw->byte_class[c] = used[c] ? (uint8_t)kw->nclasses++ : 0;
    }
    for (int c = 'A'; c <= 'Z'; c++)
        kw->byte_class[c] = kw->byte_class[c - 'A' + 'a'];

    /* The trie.  State 0 is the root. */
    uint32_t root;
    if (keywords_new_state(kw, &root) != 0)
        goto done;
    end_state = malloc((kw->npending ? kw->npending : 1) * sizeof(*end_state));
    if (end_state == NULL)
        goto done;
    for (size_t i = 0; i < kw->npending; i++) {
        uint32_t s = root;
        for (size_t j = 0; j < kw->pending[i].len; j++) {
            unsigned cls = kw->byte_class[(uint8_t)kw->pending[i].word[j]];
            uint32_t t = kw->next[(size_t)s * kw->nclasses + cls];
            if (t == 0) {
                if (keywords_new_state(kw, &t) != 0)
                    goto done;
                kw->next[(size_t)s * kw->nclasses + cls] = t;
            }
            s = t;
        }
        end_state[i] = s;
    }

    /* Failure links, breadth first; missing transitions become DFA edges. */
    fail = calloc(kw->nstates, sizeof(*fail));
    queue = malloc(kw->nstates * sizeof(*queue));
    if (fail == NULL || queue == NULL)
        goto done;
    size_t head = 0, tail = 0;
    for (unsigned c = 0; c < kw->nclasses; c++) {
        uint32_t t = kw->next[c];
        if (t != 0)
            queue[tail++] = t; /* fail[t] = 0: the root */
    }
    while (head < tail) {
        uint32_t s = queue[head++];
        for (unsigned c = 0; c < kw->nclasses; c++) {
            uint32_t *edge = &kw->next[(size_t)s * kw->nclasses + c];
            uint32_t via_fail = kw->next[(size_t)fail[s] * kw->nclasses + c];
            if (*edge != 0) {
                fail[*edge] = via_fail;
                queue[tail++] = *edge;
            } else {
                *edge = via_fail;
            }
        }
    }

    /* Outputs per state: its own keywords, then those of its failure chain.
     * BFS order guarantees a state's failure target is complete first. */
    count = calloc(kw->nstates, sizeof(*count));
    if (count == NULL)
        goto done;
    for (size_t i = 0; i < kw->npending; i++)
        count[end_state[i]]++;
    for (size_t q = 0; q < tail; q++)
        count[queue[q]] += count[fail[queue[q]]];
    kw->out_start = malloc(((size_t)kw->nstates + 1) * sizeof(*kw->out_start));
    if (kw->out_start == NULL)
        goto done;
    uint64_t total = 0;
    for (uint32_t s = 0; s < kw->nstates; s++) {
        kw->out_start[s] = (uint32_t)total;
        total += count[s];
    }
    kw->out_start[kw->nstates] = (uint32_t)total;
    kw->outputs = malloc((total ? total : 1) * sizeof(*kw->outputs));
    if (kw->outputs == NULL || total > UINT32_MAX)
        goto done;
    memset(count, 0, kw->nstates * sizeof(*count)); /* now: filled so far */
    for (size_t i = 0; i < kw->npending; i++) {
        uint32_t s = end_state[i];
        kw->outputs[kw->out_start[s] + count[s]++] =
            (struct keywords_output){kw->pending[i].id, (uint32_t)kw->pending[i].len};
    }
    for (size_t q = 0; q < tail; q++) {
        uint32_t s = queue[q], f = fail[s];
        for (uint32_t k = 0; k < kw->out_start[f + 1] - kw->out_start[f]; k++)
            kw->outputs[kw->out_start[s] + count[s]++] =
                kw->outputs[kw->out_start[f] + k];
    }
    /* Transitions hold the target's row offset (state * nclasses), so the
     * scan loop does one load per byte and no multiplication. */
    if ((uint64_t)kw->nstates * kw->nclasses >= KEYWORDS_OUTPUT)
        goto done;
    for (size_t e = 0; e < (size_t)kw->nstates * kw->nclasses; e++) {
        uint32_t target = kw->next[e];
        uint32_t row = target * kw->nclasses;
        if (kw->out_start[target + 1] > kw->out_start[target])
            row |= KEYWORDS_OUTPUT;
        kw->next[e] = row;
    }
    for (size_t i = 0; i < kw->npending; i++)
        free(kw->pending[i].word);
    free(kw->pending);
    kw->pending = NULL;
    kw->npending = kw->pending_cap = 0;
    kw->compiled = true;
    rc = 0;
done:
    free(end_state);
    free(fail);
    free(queue);
    free(count);
    return rc;
}

void keywords_scan(const struct keywords *kw, const char *text, size_t len,
                   void (*hit)(void *ctx, unsigned id, size_t start, size_t end),
                   void *ctx)
{
    const uint32_t *next = kw->next;
    const uint8_t *byte_class = kw->byte_class;
    uint32_t row = 0; /* the current state's row: state * nclasses */

    if (!kw->compiled || kw->nstates <= 1)
        return;
    for (size_t i = 0; i < len; i++) {
        uint32_t t = next[row + byte_class[(uint8_t)text[i]]];
        row = t & ~KEYWORDS_OUTPUT;
        if (!(t & KEYWORDS_OUTPUT))
            continue; /* the common case: no keyword ends here */
        uint32_t s = row / kw->nclasses;
        uint32_t first = kw->out_start[s], last = kw->out_start[s + 1];
        for (uint32_t k = first; k < last; k++)
            hit(ctx, kw->outputs[k].id, i + 1 - kw->outputs[k].len, i + 1);
    }
}
