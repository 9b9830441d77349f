/*
 * fuzz_rules - the rules language (lib/match/rules_parse.c): the word
 * splitter and its quoting, rule starts and indentation, every condition,
 * matcher (keywords, keywords-file, regex with flags, validate, count,
 * field lists with header:NAME) and action, and what compiling does with
 * them - NFKC of keywords, the Hyperscan keyword database, PCRE2 with JIT,
 * the Hyperscan prefilter.  A rule set that loads is then evaluated
 * (rules_eval.c) against a fixed message and envelope, so the fuzzer's
 * regexes, validators, counts and conditions run too.
 * Input: a .rules file, optionally followed by a line "%%" and the text of
 * a keywords file that the rules may name as "kw.txt".  Both are read
 * through a sealed files set (files.h): the disk is never read.  Checks
 * that a refused file says why, and that every hit of a verdict has a
 * one-line UTF-8 snippet.
 * Seeds: the files in rules/, the rule texts of rules_test.c (fuzz/make-corpus).
 */
#include <string.h>

#include "buf.h"
#include "files.h"
#include "fuzz.h"
#include "rules.h"

static struct view *message;

/* The message every rule set is evaluated against. */
static const char message_text[] =
    "From: Alice <alice@corp.example>\r\n"
    "To: bob@partner.example, carol@corp.example\r\n"
    "Subject: =?UTF-8?B?56S+5aSW56eY?= quarterly numbers\r\n"
    "X-Project: falcon\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"b\"\r\n"
    "\r\n"
    "--b\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Card 4111 1111 1111 1111 and 5500-0000-0000-0004, My Number 123456789018.\r\n"
    "CONFIDENTIAL: \xef\xbc\xa3\xef\xbc\xaf\xef\xbc\xae\xef\xbc\xa6 customer list "
    "below.\r\n"
    "--b\r\n"
    "Content-Type: text/csv; name=\"customers.csv\"\r\n"
    "Content-Disposition: attachment; filename=\"customers.csv\"\r\n"
    "\r\n"
    "name,mail\r\nA,a@x.example\r\nB,b@y.example\r\n"
    "--b--\r\n";

static const char *const recipients[] = {"bob@partner.example", "carol@corp.example"};
static const char *const internal_domains[] = {"corp.example", NULL};

/* Appends one field of files.c's wire form: a 32-bit length, the bytes. */
static void put_field(struct buf *b, const void *p, size_t len)
{
    uint32_t n = (uint32_t)len;
    FUZZ_CHECK(buf_append(b, &n, sizeof(n)) == 0 && buf_append(b, p, len) == 0, "buf");
}

/* Appends an entry of KIND (1 file, 2 listing) of files.c's wire form. */
static void put_entry(struct buf *b, unsigned char kind, const char *path,
                      const char *suffix, const void *data, size_t len)
{
    FUZZ_CHECK(buf_append(b, &kind, 1) == 0, "buf");
    put_field(b, path, strlen(path));
    put_field(b, suffix, strlen(suffix));
    put_field(b, data, len);
}

/*
 * Loads RULES (and KEYWORDS as /fuzz/kw.txt) as the only file of rules_dir
 * /fuzz, through a sealed set made from files.c's wire form (files_encode):
 * "SWF1", a 32-bit count, then the entries.
 */
static struct rules *load(const char *rules, size_t rules_len, const char *keywords,
                          size_t keywords_len, char *err, size_t errlen)
{
    struct buf b = {0};
    uint32_t count = 3;

    FUZZ_CHECK(buf_append(&b, "SWF1", 4) == 0 && buf_append(&b, &count, 4) == 0, "buf");
    put_entry(&b, 2, "/fuzz", ".rules", "a.rules", sizeof("a.rules"));
    put_entry(&b, 1, "/fuzz/a.rules", "", rules, rules_len);
    put_entry(&b, 1, "/fuzz/kw.txt", "", keywords, keywords_len);
    struct files *fs = files_decode(b.data, b.len, err, errlen);
    FUZZ_CHECK(fs != NULL && files_sealed(fs), "files_decode: %s", err);
    buf_free(&b);
    struct rules *rs = rules_load_from(fs, "/fuzz", err, errlen);
    files_free(fs);
    return rs;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static const struct view_limits limits = {
        .max_depth = 4,
        .max_entries = 100,
        .max_expanded = 1024 * 1024,
        .max_ratio = 100,
        .max_text = 64 * 1024,
        .memory_limit = 64 * 1024,
        .temp_dir = "/tmp",
    };
    static const char known_good[] =
        "rule r\n    match body keywords-file kw.txt\n    action deliver\n";
    char err[512];
    (void)argc;
    (void)argv;

    view_init();
    struct spool *sp = spool_new(1 << 20, "/tmp");
    FUZZ_CHECK(sp != NULL, "spool_new");
    FUZZ_CHECK(
        spool_write(sp, message_text, sizeof(message_text) - 1, err, sizeof(err)) == 0,
        "%s", err);
    message = view_build(sp, &limits, err, sizeof(err));
    FUZZ_CHECK(message != NULL, "view_build: %s", err);
    spool_free(sp);
    /* If files.c's wire form changed, every input would fail to load: stop. */
    struct rules *rs =
        load(known_good, strlen(known_good), "CONFIDENTIAL\n", 13, err, sizeof(err));
    FUZZ_CHECK(rs != NULL && rules_count(rs) == 1, "the known-good rules: %s", err);
    rules_free(rs);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data, *keywords = "";
    size_t len = size, keywords_len = 0;
    char err[512] = "";

    const char *sep = memmem(data, size, "\n%%\n", 4);
    if (sep != NULL) {
        len = (size_t)(sep - text) + 1;
        keywords = sep + 4;
        keywords_len = size - len - 3;
    }
    struct rules *rs = load(text, len, keywords, keywords_len, err, sizeof(err));
    if (rs == NULL) {
        FUZZ_CHECK(err[0] != '\0', "refused without a reason");
        return 0;
    }

    struct rules_envelope env = {
        .sender = "alice@corp.example",
        .recipients = recipients,
        .nrecipients = sizeof(recipients) / sizeof(*recipients),
        .size = sizeof(message_text) - 1,
        .internal_domains = internal_domains,
    };
    struct rules_verdict verdict;
    FUZZ_CHECK(rules_evaluate(rs, message, &env, &verdict) == 0, "rules_evaluate");
    FUZZ_CHECK(verdict.nmatched <= rules_count(rs), "%zu matched of %zu",
               verdict.nmatched, rules_count(rs));
    for (size_t i = 0; i < verdict.nhits; i++) {
        const char *s = verdict.hits[i].snippet;
        FUZZ_CHECK(verdict.hits[i].rule != NULL && s != NULL, "hit %zu", i);
        FUZZ_CHECK(fuzz_utf8_valid(s, strlen(s)) && strpbrk(s, "\r\n") == NULL,
                   "hit %zu snippet is not one line of UTF-8", i);
    }
    FUZZ_CHECK(verdict.hold_seconds <= 3600, "hold %u s", verdict.hold_seconds);
    rules_verdict_free(&verdict);
    rules_free(rs);
    return 0;
}
