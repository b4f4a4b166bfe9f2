"""Regenerate the golden files of the output package from az's own code.

Each directory under golden/ holds input.json (a command result) and, when
the case uses one, query (a --query expression, no trailing newline). This
script runs them through knack's real formatters the way az does -- query
compiled as az's argument parser does, applied with OrderedDict, then the
formatter with is_query_active set -- and writes what az prints to one
file per format (json, jsonc, yaml, yamlc, table, tsv), or, when az rejects
the query, the error message to a file named error.

It also refreshes reference.jsonl, a corpus of generated cases (odd keys
and strings, nesting, queries valid and not) with one JSON object a line:
name, input (JSON text), query (or null) and either outputs (format to
text) or error.

It needs what az's own environment has: knack, tabulate, wcwidth, pygments,
PyYAML and jmespath (Python 3.12 or later, as bundled with az since 2.66).

    python3 regen_golden.py            # from this directory
"""
import collections
import json
import os
import sys

import jmespath
from jmespath.exceptions import JMESPathError
from knack.output import (format_json, format_json_color, format_table,
                          format_tsv, format_yaml, format_yaml_color)
from knack.util import CLIError, CommandResultItem

FORMATS = {
    'json': format_json,
    'jsonc': format_json_color,
    'yaml': format_yaml,
    'yamlc': format_yaml_color,
    'table': format_table,
    'tsv': format_tsv,
}


def az(result, query):
    """Return ({format: text}, None) or (None, error message)."""
    active = False
    if query is not None:
        try:
            expr = jmespath.compile(query)
        except (ValueError, TypeError, KeyError):
            return None, 'argument --query: invalid jmespath_type value: %r' % (query,)
        try:
            result = expr.search(result, jmespath.Options(collections.OrderedDict))
        except JMESPathError as ex:
            return None, 'Invalid jmespath query supplied for `--query`: %s' % ex
        active = True
    out = {}
    for name, fmt in FORMATS.items():
        if result is None:  # az prints nothing for a null result
            out[name] = ''
            continue
        try:
            out[name] = fmt(CommandResultItem(result, is_query_active=active))
        except CLIError as ex:
            out[name] = 'ERROR: %s\n' % ex
    return out, None


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'golden')
    for case in sorted(os.listdir(root)):
        d = os.path.join(root, case)
        with open(os.path.join(d, 'input.json'), encoding='utf-8') as f:
            result = json.load(f)
        query = None
        if os.path.exists(os.path.join(d, 'query')):
            with open(os.path.join(d, 'query'), encoding='utf-8') as f:
                query = f.read()
        for name in list(FORMATS) + ['error']:
            if os.path.exists(os.path.join(d, name)):
                os.remove(os.path.join(d, name))
        out, err = az(result, query)
        if err is not None:
            out = {'error': err}
        for name, text in out.items():
            with open(os.path.join(d, name), 'w', encoding='utf-8', newline='') as f:
                f.write(text)
        print(case, file=sys.stderr)

    corpus = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'reference.jsonl')
    records = []
    with open(corpus, encoding='utf-8') as f:
        for line in f:
            rec = json.loads(line)
            out, err = az(json.loads(rec['input']), rec['query'])
            rec = {'name': rec['name'], 'input': rec['input'], 'query': rec['query']}
            if err is not None:
                rec['error'] = err
            else:
                rec['outputs'] = out
            records.append(rec)
    with open(corpus, 'w', encoding='utf-8', newline='') as f:
        for rec in records:
            f.write(json.dumps(rec, ensure_ascii=False) + '\n')
    print('reference.jsonl: %d cases' % len(records), file=sys.stderr)


if __name__ == '__main__':
    main()
