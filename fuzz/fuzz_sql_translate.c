/*
 * Fuzz target: the SQLite -> PostgreSQL statement translator
 * (src/store/sql_translate.c). It only ever sees ward's own SQL, but it is
 * a hand-written tokenizer over quotes, comments and placeholders, so it
 * gets arbitrary text: no crash, no read past the input, and the
 * statement splitter always makes progress and stays inside the input.
 */
#include "store/sql.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *sql = malloc(size + 1);
    if (!sql)
        return 0;
    memcpy(sql, data, size);
    sql[size] = '\0';
    size_t n = strlen(sql); /* NUL inside the input ends it, as for SQL text */
    for (const char *p = sql; *p;) {
        size_t one = wsql_statement_len(p);
        if (one == 0 || one > strlen(p))
            abort();
        int noop = 0;
        char *out = wsql_translate_pg(p, one, 7, &noop);
        free(out);
        p += one;
    }
    int noop = 0;
    free(wsql_translate_pg(sql, n, -1, &noop));
    free(sql);
    return 0;
}
