/*
 * tokenize.h - words of a text as scikit-learn's CountVectorizer finds them by
 * default (src/tokenize.c)
 */
#ifndef ECOMML_TOKENIZE_H
#define ECOMML_TOKENIZE_H

#include "postgres.h"

typedef struct WordTokens
{
	const unsigned char *p;		/* next unread byte */
	const unsigned char *end;
	bool		utf8;			/* database encoding is UTF-8 */
	char	   *buf;			/* the current token, lowercased */
	int			cap;
	char		local[256];		/* buf until a longer token comes */
} WordTokens;

extern void word_tokens_init(WordTokens *t, const char *s, int len);
extern bool word_tokens_next(WordTokens *t, const char **token, int *len);

#endif
