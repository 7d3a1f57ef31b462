/* SPDX-License-Identifier: MIT */
/* Branchy integer mix: linked-list building and merge sort, a tokenizer
 * state machine, small integer matrices and a bitwise CRC-32. */
#include "bench.h"

typedef struct Node {
    struct Node *next;
    uint32_t key;
} Node;

static Node *list_merge(Node *a, Node *b)
{
    Node head, *t = &head;
    while (a && b) {
        if (a->key <= b->key) { t->next = a; a = a->next; }
        else { t->next = b; b = b->next; }
        t = t->next;
    }
    t->next = a ? a : b;
    return head.next;
}

static Node *list_sort(Node *h)
{
    if (!h || !h->next)
        return h;
    Node *slow = h, *fast = h->next;
    while (fast && fast->next) { slow = slow->next; fast = fast->next->next; }
    Node *b = slow->next;
    slow->next = NULL;
    return list_merge(list_sort(h), list_sort(b));
}

static uint32_t lists(uint64_t *rng)
{
    enum { N = 512 };
    static Node pool[N];
    Node *h = NULL;
    for (int i = 0; i < N; i++) {
        pool[i].key = (uint32_t)bench_rand(rng) & 0xffff;
        pool[i].next = h;
        h = &pool[i];
    }
    h = list_sort(h);
    uint32_t sum = 0, i = 0;
    for (Node *n = h; n; n = n->next)
        sum = sum * 31 + n->key + i++;
    return sum;
}

/* A tokenizer over generated text: words, numbers, operators, spaces. */
static uint32_t state_machine(uint64_t *rng)
{
    enum { LEN = 2048 };
    static const char alphabet[] = "abcxyz0129 +-*/(); \n";
    static uint8_t text[LEN];
    for (int i = 0; i < LEN; i++)
        text[i] = (uint8_t)alphabet[bench_rand(rng) % (sizeof(alphabet) - 1)];
    enum { S_SPACE, S_WORD, S_NUM, S_OP } st = S_SPACE;
    uint32_t words = 0, nums = 0, ops = 0, lines = 0, val = 0;
    for (int i = 0; i < LEN; i++) {
        uint8_t c = text[i];
        switch (st) {
        case S_SPACE:
        case S_OP:
            if (c >= 'a' && c <= 'z') { st = S_WORD; words++; }
            else if (c >= '0' && c <= '9') { st = S_NUM; nums++; val = c - '0'; }
            else if (c == ' ') st = S_SPACE;
            else if (c == '\n') { st = S_SPACE; lines++; }
            else { st = S_OP; ops++; }
            break;
        case S_WORD:
            if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) break;
            st = c == ' ' || c == '\n' ? S_SPACE : S_OP;
            if (c == '\n') lines++;
            if (st == S_OP) ops++;
            break;
        case S_NUM:
            if (c >= '0' && c <= '9') { val = val * 10 + (c - '0'); break; }
            if (c >= 'a' && c <= 'z') { st = S_WORD; words++; break; }
            st = c == ' ' || c == '\n' ? S_SPACE : S_OP;
            if (c == '\n') lines++;
            if (st == S_OP) ops++;
            break;
        }
    }
    return words * 1000003u ^ nums * 10007u ^ ops * 101u ^ lines ^ val;
}

static uint32_t matrices(uint64_t *rng)
{
    int32_t a[8][8], b[8][8], c[8][8];
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++) {
            a[i][j] = (int32_t)(bench_rand(rng) % 19) - 9;
            b[i][j] = (int32_t)(bench_rand(rng) % 19) - 9;
        }
    for (int r = 0; r < 4; r++) {
        for (int i = 0; i < 8; i++)
            for (int j = 0; j < 8; j++) {
                int32_t s = 0;
                for (int k = 0; k < 8; k++)
                    s += a[i][k] * b[k][j];
                c[i][j] = s;
            }
        for (int i = 0; i < 8; i++)
            for (int j = 0; j < 8; j++)
                a[i][j] = (c[i][j] >> 3) ^ (c[j][i] & 7);
    }
    uint32_t h = 0;
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++)
            h = h * 33 + (uint32_t)a[i][j];
    return h;
}

static uint32_t crc32_bitwise(uint64_t *rng)
{
    uint8_t buf[1024];
    for (int i = 0; i < (int)sizeof(buf); i++)
        buf[i] = (uint8_t)bench_rand(rng);
    uint32_t crc = 0xffffffffu;
    for (int i = 0; i < (int)sizeof(buf); i++) {
        crc ^= buf[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
    }
    return ~crc;
}

int main(int argc, char **argv)
{
    long n = bench_size(argc, argv, 12, 1400, 14000);
    uint64_t rng = 0x1234567887654321ULL;
    uint32_t h = 0;
    for (long i = 0; i < n; i++) {
        h = h * 0x9e3779b1u + lists(&rng);
        h = h * 0x9e3779b1u + state_machine(&rng);
        h = h * 0x9e3779b1u + matrices(&rng);
        h = h * 0x9e3779b1u + crc32_bitwise(&rng);
    }
    printf("intmix n=%ld checksum=%08x\n", n, h);
    return 0;
}
