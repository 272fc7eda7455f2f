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
	Size		cap;
	char		local[256];		/* buf until a longer token comes */
} WordTokens;

extern void word_tokens_init(WordTokens *t, const char *s, int len);
/* *len fits an int: a text is under 1 GB and lowercasing grows it by half at most */
extern bool word_tokens_next(WordTokens *t, const char **token, int *len);

#endif
