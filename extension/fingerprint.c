/*
 * fingerprint.c — a statement's shape id from its tokens, the same on every server version.
 *
 * Core's query jumble hashes parse-tree fields, and those change with every
 * major version, so a jumble-based id would split a mixed-version fleet into
 * different shapes for the same statement.  The fingerprint instead hashes a
 * canonical form of the statement's tokens, read with the running server's
 * own lexer:
 *  - constants of every kind, parameters ($n), TRUE, FALSE and NULL become $1;
 *    a unary minus before a number belongs to the number;
 *  - keywords and unquoted identifiers are lowercase (the lexer folds them),
 *    quoted identifiers keep their exact name, so a word that is a keyword in
 *    one version and an identifier in another reads the same;
 *  - whitespace and comments are gone;
 *  - lists collapse as in the displayed text (normtext.c) and the marker is
 *    dropped, so IN ($1) and IN ($1, $2, $3) are one shape, while key = $1
 *    stays apart from its batched form;
 *  - integers in a type modifier (numeric(10,2), varchar(40)) stay.
 * Token codes are internal to each version's grammar, so the codes this
 * file needs are learned once per backend by lexing a probe string.
 *
 * Runs on a shape-cache miss only, over the statement's own span.
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "lib/stringinfo.h"
#include "parser/scanner.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "normtext.h"
#include "pg_insights.h"

typedef enum
{
	TC_IDENT,
	TC_UIDENT,
	TC_ICONST,
	TC_FCONST,
	TC_SCONST,
	TC_USCONST,
	TC_BCONST,
	TC_XCONST,
	TC_PARAM,
	TC_OP,
	TC_TYPECAST,
	TC_DOT_DOT,
	TC_COLON_EQUALS,
	TC_EQUALS_GREATER,
	TC_LESS_EQUALS,
	TC_GREATER_EQUALS,
	TC_NOT_EQUALS,
	TC_COUNT
} TokenClass;

/* one token of each class, in TokenClass order */
static const char probe[] =
"ident U&\"u\" 1 1.5 's' U&'u' b'0' x'0' $1 @@ :: .. := => <= >= <>";

static int	token_code[TC_COUNT];
static bool codes_known = false;

/* the spelling of the fixed multi-character tokens */
static const char *const fixed_text[TC_COUNT] = {
	[TC_TYPECAST] = "::",
	[TC_DOT_DOT] = "..",
	[TC_COLON_EQUALS] = ":=",
	[TC_EQUALS_GREATER] = "=>",
	[TC_LESS_EQUALS] = "<=",
	[TC_GREATER_EQUALS] = ">=",
	[TC_NOT_EQUALS] = "<>",
};

static bool
learn_codes(void)
{
	core_yyscan_t scanner;
	core_yy_extra_type extra;
	core_YYSTYPE yylval;
	YYLTYPE		yylloc;
	int			i;

	scanner = scanner_init(probe, &extra, &ScanKeywords, ScanKeywordTokens);
	pgi_scanner_quiet(&extra, true);
	for (i = 0; i < TC_COUNT; i++)
	{
		token_code[i] = core_yylex(&yylval, &yylloc, scanner);
		if (token_code[i] < 256)
			break;
	}
	scanner_finish(scanner);
	codes_known = (i == TC_COUNT);
	return codes_known;
}

static int
token_class(int tok)
{
	int			i;

	for (i = 0; i < TC_COUNT; i++)
		if (token_code[i] == tok)
			return i;
	return -1;					/* a keyword */
}

/* an identifier that reads the same bare: lowercase ASCII word */
static bool
bare_word(const char *s)
{
	const char *p;

	if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
		return false;
	for (p = s + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '$'))
			return false;
	return true;
}

static void
append_quoted(StringInfo buf, const char *s)
{
	appendStringInfoChar(buf, '"');
	for (; *s; s++)
	{
		if (*s == '"')
			appendStringInfoChar(buf, '"');
		appendStringInfoChar(buf, *s);
	}
	appendStringInfoChar(buf, '"');
}

/* drop the list markers normtext wrote: the fingerprint ignores list length */
static int
drop_markers(char *s, int n)
{
	const int	mlen = (int) strlen(PGI_LIST_MARKER);
	int			r = 0,
				w = 0;

	while (r < n)
	{
		if (r + mlen <= n && memcmp(s + r, PGI_LIST_MARKER, mlen) == 0)
		{
			r += mlen;
			continue;
		}
		s[w++] = s[r++];
	}
	return w;
}

/* skip spaces in s[*i..n), then match word; advance *i past it on a match */
static bool
match_word(const char *s, int n, int *i, const char *word)
{
	int			j = *i,
				wlen = (int) strlen(word);

	while (j < n && s[j] == ' ')
		j++;
	if (j + wlen > n || memcmp(s + j, word, wlen) != 0)
		return false;
	*i = j + wlen;
	return true;
}

/*
 * "= ANY (ARRAY[list])" is the parse tree of "IN (list)" and "<> ALL
 * (ARRAY[list])" that of "NOT IN (list)": core gives them one query id, so
 * they must be one shape, or a backend's queryid -> shape cache would count
 * one under the other's.  Rewrites the collapsed forms (markers already
 * dropped) in place; returns the new length.
 */
static int
fold_array_lists(char *s, int n)
{
	static const struct
	{
		const char *op;
		const char *quant;
		const char *in;
	}			forms[] = {
		{"=", "any", " in ($1)"},
		{"<>", "all", " not in ($1)"},
	};
	int			r = 0,
				w = 0;

	while (r < n)
	{
		int			f,
					end = -1,
					start = r;

		/* an operator starts after a space; mind the bytes before it */
		if (r == 0 || s[r - 1] == ' ')
		{
			for (f = 0; f < (int) lengthof(forms) && end < 0; f++)
			{
				int			i = r;

				if (match_word(s, n, &i, forms[f].op) &&
					i < n && s[i] == ' ' &&
					match_word(s, n, &i, forms[f].quant) &&
					match_word(s, n, &i, "(") &&
					match_word(s, n, &i, "array") &&
					match_word(s, n, &i, "[") &&
					match_word(s, n, &i, "$1") &&
					match_word(s, n, &i, "]") &&
					match_word(s, n, &i, ")"))
				{
					int			len = (int) strlen(forms[f].in);

					/* the folded form is never longer than the form it replaces */
					if (w > 0 && s[w - 1] == ' ')
						w--;
					memmove(s + w, forms[f].in, len);
					w += len;
					end = i;
				}
			}
		}
		if (end >= 0)
			r = end;
		else
			s[w++] = s[start], r = start + 1;
	}
	return w;
}

/*
 * Append the canonical spelling of every token the scanner reads to canon.
 */
static void
append_canonical(core_yyscan_t scanner, const char *span, StringInfo canon)
{
	core_YYSTYPE yylval;
	YYLTYPE		yylloc;
	int			tok,
				prev_class = -2,	/* -2: nothing yet */
				prev_char = 0,
				typmod_depth = 0;
	bool		after_cast_type = false,
				pending_minus = false,
				no_space = true;

	while ((tok = core_yylex(&yylval, &yylloc, scanner)) != 0)
	{
		int			cls = tok < 256 ? -3 : token_class(tok);
		const char *word = NULL;
		bool		constant = false;
		bool		glue_before = false,
					glue_after = false;

		if (cls == TC_ICONST || cls == TC_FCONST)
			constant = typmod_depth == 0;
		else if (cls == TC_SCONST || cls == TC_USCONST || cls == TC_BCONST ||
				 cls == TC_XCONST || cls == TC_PARAM)
			constant = true;
		else if (cls == -1 && (strcmp(yylval.keyword, "true") == 0 ||
							   strcmp(yylval.keyword, "false") == 0 ||
							   strcmp(yylval.keyword, "null") == 0))
			constant = true;

		/* a '-' right before a number, where no operand precedes it, is its sign */
		if (pending_minus)
		{
			pending_minus = false;
			if (!(constant && (cls == TC_ICONST || cls == TC_FCONST)))
			{
				if (!no_space)
					appendStringInfoChar(canon, ' ');
				appendStringInfoChar(canon, '-');
				no_space = false;
			}
		}
		if (tok == '-' && !(prev_class == TC_IDENT || prev_class == TC_UIDENT ||
							prev_class == TC_ICONST || prev_class == TC_FCONST ||
							prev_class == TC_SCONST || prev_class == TC_PARAM ||
							prev_char == ')' || prev_char == ']'))
		{
			pending_minus = true;
			prev_char = '-';
			prev_class = -3;
			continue;
		}

		/* integers inside a type modifier after '::' stay as they are */
		if (tok == '(' && after_cast_type)
			typmod_depth++;
		else if (tok == ')' && typmod_depth > 0)
			typmod_depth--;
		after_cast_type = (cls == TC_TYPECAST) ||
			(after_cast_type && (cls == TC_IDENT || cls == -1 || tok == '.'));

		if (tok == ',' || tok == ')' || tok == ']' || tok == '.' || cls == TC_TYPECAST)
			glue_before = true;
		if (tok == '(' || tok == '[' || tok == '.' || cls == TC_TYPECAST)
			glue_after = true;
		if (!no_space && !glue_before)
			appendStringInfoChar(canon, ' ');

		if (constant)
			appendStringInfoString(canon, "$1");
		else if (tok < 256)
			appendStringInfoChar(canon, (char) tok);
		else if (cls == TC_IDENT || cls == TC_UIDENT)
		{
			word = yylval.str;
			if (bare_word(word))
				appendStringInfoString(canon, word);
			else
				append_quoted(canon, word);
		}
		else if (cls == TC_ICONST || cls == TC_FCONST)
			appendBinaryStringInfo(canon, span + yylloc,
								   (int) strspn(span + yylloc, "0123456789.eE+-_xXoObB"));
		else if (cls == TC_OP)
			appendStringInfoString(canon, yylval.str);
		else if (cls >= 0 && fixed_text[cls] != NULL)
			appendStringInfoString(canon, fixed_text[cls]);
		else
			appendStringInfoString(canon, yylval.keyword);

		no_space = glue_after;
		prev_class = constant ? TC_ICONST : cls;
		prev_char = tok < 256 ? tok : 0;
	}
	if (pending_minus)
		appendStringInfoString(canon, " -");
}

/*
 * Shape id of the statement at [text, text+len).  Returns 0 when the lexer
 * cannot be used (the caller falls back).
 */
uint64
pgi_fingerprint(const char *text, int len)
{
	MemoryContext cxt,
				old;
	core_yyscan_t scanner;
	core_yy_extra_type extra;
	StringInfoData canon;
	char	   *span,
			   *norm;
	int			n,
				saved_client_min = client_min_messages,
				saved_log_min = PGI_LOG_MIN_MESSAGES;
	uint64		h;

	if (!codes_known && !learn_codes())
		return 0;

	cxt = AllocSetContextCreate(CurrentMemoryContext, "pg_insights fingerprint",
								ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(cxt);
	span = pnstrdup(text, len);
	initStringInfo(&canon);
	scanner = scanner_init(span, &extra, &ScanKeywords, ScanKeywordTokens);
	/* the text parsed already; settings must not change how it lexes */
	pgi_scanner_quiet(&extra, false);

	/*
	 * The parser has already told the client what it had to say about this
	 * text (an identifier truncated to NAMEDATALEN, say); the lexer would say
	 * it again, so its messages below ERROR are silenced while it runs.  The
	 * lexer can also fail where the parser did not: a string parsed as one
	 * message is lexed statement by statement, after an earlier statement of
	 * it changed standard_conforming_strings.  That error is the lexer's own
	 * (no resources held), so it is caught and the caller falls back rather
	 * than failing the user's statement.
	 */
	client_min_messages = ERROR;
	PGI_LOG_MIN_MESSAGES = ERROR;
	PG_TRY();
	{
		append_canonical(scanner, span, &canon);
		scanner_finish(scanner);
	}
	PG_CATCH();
	{
		client_min_messages = saved_client_min;
		PGI_LOG_MIN_MESSAGES = saved_log_min;
		MemoryContextSwitchTo(old);
		FlushErrorState();
		MemoryContextDelete(cxt);
		return 0;
	}
	PG_END_TRY();
	client_min_messages = saved_client_min;
	PGI_LOG_MIN_MESSAGES = saved_log_min;

	/* a collapsed list can be longer than the list it replaces */
	norm = palloc(2 * canon.len + 64);
	n = (int) pgi_normtext(canon.data, canon.len, norm, 2 * canon.len + 64, NULL);
	n = drop_markers(norm, n);
	n = fold_array_lists(norm, n);
	h = hash_bytes_extended((const unsigned char *) norm, n, UINT64CONST(0x50474953484150));

	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	return h != 0 ? h : UINT64CONST(1);
}
