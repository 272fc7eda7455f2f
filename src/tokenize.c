/*
 * tokenize.c - words of a text as scikit-learn's CountVectorizer finds them by
 * default: the text lowercased, then every maximal run of two or more word
 * characters (the regular expression (?u)\b\w\w+\b).  A word character is a
 * letter, a digit or '_'.
 *
 * ASCII is classified and lowercased by a table.  Other characters (UTF-8
 * databases only) are classified and lowercased by the C library's C.UTF-8
 * locale, so the result does not depend on the database's LC_CTYPE; it
 * agrees with Python's \w on every letter and decimal digit of Unicode
 * (it differs on 2,299 of 1.1M code points: Python counts other numbers
 * such as '²' as word characters and not the vowel signs of Indic scripts,
 * glibc the reverse) and with Python's lower() everywhere but U+0130 and a
 * final sigma, which Python maps by context.  In databases of other
 * encodings, only ASCII letters, digits and '_' are word characters.
 */
#include "postgres.h"

#include <locale.h>
#include <wctype.h>

#include "mb/pg_wchar.h"
#include "miscadmin.h"

#include "tokenize.h"

/* 0: separator, else the byte lowercased */
static const unsigned char ascii_word[128] = {
	['0'] = '0',['1'] = '1',['2'] = '2',['3'] = '3',['4'] = '4',
	['5'] = '5',['6'] = '6',['7'] = '7',['8'] = '8',['9'] = '9',
	['_'] = '_',
	['a'] = 'a',['b'] = 'b',['c'] = 'c',['d'] = 'd',['e'] = 'e',['f'] = 'f',['g'] = 'g',
	['h'] = 'h',['i'] = 'i',['j'] = 'j',['k'] = 'k',['l'] = 'l',['m'] = 'm',['n'] = 'n',
	['o'] = 'o',['p'] = 'p',['q'] = 'q',['r'] = 'r',['s'] = 's',['t'] = 't',['u'] = 'u',
	['v'] = 'v',['w'] = 'w',['x'] = 'x',['y'] = 'y',['z'] = 'z',
	['A'] = 'a',['B'] = 'b',['C'] = 'c',['D'] = 'd',['E'] = 'e',['F'] = 'f',['G'] = 'g',
	['H'] = 'h',['I'] = 'i',['J'] = 'j',['K'] = 'k',['L'] = 'l',['M'] = 'm',['N'] = 'n',
	['O'] = 'o',['P'] = 'p',['Q'] = 'q',['R'] = 'r',['S'] = 's',['T'] = 't',['U'] = 'u',
	['V'] = 'v',['W'] = 'w',['X'] = 'x',['Y'] = 'y',['Z'] = 'z',
};

/*
 * The C.UTF-8 character classes, created on first use and never changed
 * afterwards: a per-backend cache like PostgreSQL's own collation cache, not
 * state that results depend on.
 */
static locale_t
utf8_ctype(void)
{
	static locale_t loc = (locale_t) 0;

	if (loc == (locale_t) 0)
	{
		loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t) 0);
		if (loc == (locale_t) 0)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot tokenize non-ASCII text without the C.UTF-8 locale"),
					 errdetail("newlocale(\"C.UTF-8\") failed: %m.")));
	}
	return loc;
}

void
word_tokens_init(WordTokens *t, const char *s, int len)
{
	t->p = (const unsigned char *) s;
	t->end = t->p + len;
	t->utf8 = GetDatabaseEncoding() == PG_UTF8;
	t->buf = t->local;
	t->cap = sizeof(t->local);
}

/*
 * The non-ASCII character at t->p: its length in bytes, and whether it is a
 * word character (then *lower is it lowercased).  Bytes that do not start a
 * complete UTF-8 character are one-byte separators.
 */
static int
decode_char(const WordTokens *t, bool *word, pg_wchar *lower)
{
	int			n;
	pg_wchar	c;
	locale_t	loc;

	*word = false;
	if (!t->utf8)
		return 1;
	n = pg_utf_mblen(t->p);
	if (n < 2 || n > t->end - t->p || !pg_utf8_islegal(t->p, n))
		return 1;
	c = utf8_to_unicode(t->p);
	loc = utf8_ctype();
	if (iswalnum_l((wint_t) c, loc))
	{
		*word = true;
		*lower = (pg_wchar) towlower_l((wint_t) c, loc);
	}
	return n;
}

/*
 * A token may approach a gigabyte, and lowercasing may lengthen it by half
 * (U+023A is 2 bytes, its lowercase 3): sizes in Size, huge allocations.
 */
static void
ensure_room(WordTokens *t, Size used, int more)
{
	if (used + more <= t->cap)
		return;
	t->cap = Max(t->cap * 2, used + more);
	if (t->buf == t->local)
	{
		t->buf = palloc_extended(t->cap, MCXT_ALLOC_HUGE);
		memcpy(t->buf, t->local, used);
	}
	else
		t->buf = repalloc_huge(t->buf, t->cap);
}

/*
 * A text may be a gigabyte of one word or of separators: the interrupt flag
 * is read every 64 kB of ASCII and at every non-ASCII character (one load
 * and a branch; decoding one costs far more).
 */
#define TOKENIZE_CHECK_INTERRUPTS(p) \
	do { if (((uintptr_t) (p) & 0xFFFF) == 0) CHECK_FOR_INTERRUPTS(); } while (0)

/* the next token (lowercased, valid until the next call); false at the end */
bool
word_tokens_next(WordTokens *t, const char **token, int *len)
{
	while (t->p < t->end)
	{
		Size		used = 0;
		int			chars = 0;
		bool		word;
		pg_wchar	lower;

		/* separators */
		while (t->p < t->end)
		{
			int			n;

			if (*t->p < 0x80)
			{
				if (ascii_word[*t->p])
					break;
				t->p++;
				TOKENIZE_CHECK_INTERRUPTS(t->p);
				continue;
			}
			CHECK_FOR_INTERRUPTS();
			n = decode_char(t, &word, &lower);
			if (word)
				break;
			t->p += n;
		}
		/* a run of word characters */
		while (t->p < t->end)
		{
			int			n;

			if (*t->p < 0x80)
			{
				unsigned char b = ascii_word[*t->p];

				if (!b)
					break;
				ensure_room(t, used, 1);
				t->buf[used++] = b;
				t->p++;
				chars++;
				TOKENIZE_CHECK_INTERRUPTS(t->p);
				continue;
			}
			CHECK_FOR_INTERRUPTS();
			n = decode_char(t, &word, &lower);
			if (!word)
				break;
			ensure_room(t, used, MAX_MULTIBYTE_CHAR_LEN);
			unicode_to_utf8(lower, (unsigned char *) t->buf + used);
			used += pg_utf_mblen((unsigned char *) t->buf + used);
			t->p += n;
			chars++;
		}
		if (chars >= 2)
		{
			*token = t->buf;
			*len = used;
			return true;
		}
	}
	return false;
}
