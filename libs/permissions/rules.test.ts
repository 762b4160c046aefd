import { describe, expect, it } from 'vitest';
import { formatConfigErrors } from '#libs/config';
import { loadRules, parseRuleFile } from './rule-files.ts';
import { parseRuleLine, ruleLineProblem, RuleSet, type Rule } from './rules.ts';
import { memoryFiles } from './test-support.ts';

function rules(text: string, file = 'permissions.allow'): Rule[] {
  const r = parseRuleFile(text, file);
  expect(r.errors).toEqual([]);
  return r.rules;
}

describe('rule line syntax', () => {
  it('reads the Kamailio sample lines', () => {
    const rs = rules(
      [
        '# SIP Express Router permissions module config file',
        'ALL : "^sip:361[0-9]*@abc\\.com$" EXCEPT "^sip:361[0-9]*3@abc\\.com$", "^sip:361[0-9]*4@abc\\.com$"',
        '',
        '"^sip:3677[0-9]*@abc\\.com$" :  "^sip:361[0-9]*@abc\\.com$"   # trailing comment',
        'ALL : ALL',
      ].join('\n'),
    );
    expect(rs.map((r) => r.source)).toEqual([
      { file: 'permissions.allow', line: 2 },
      { file: 'permissions.allow', line: 4 },
      { file: 'permissions.allow', line: 5 },
    ]);
    expect(rs[0].left.all).toBe(true);
    expect(rs[0].right.match).toHaveLength(1);
    expect(rs[0].right.except).toHaveLength(2);
    expect(rs[1].text).toBe('"^sip:3677[0-9]*@abc\\.com$" :  "^sip:361[0-9]*@abc\\.com$"');
  });

  it('accepts bare words, lists, CRLF line ends and "#" inside quotes', () => {
    const rs = rules('alice@example[.]com$ , "^sip:bob@" EXCEPT "x#y" : "^sip:00"\r\n');
    expect(rs).toHaveLength(1);
    expect(rs[0].left.match.map((r) => r.source)).toEqual(['alice@example[.]com$', '^sip:bob@']);
    expect(rs[0].left.except.map((r) => r.source)).toEqual(['x#y']);
  });

  it.each([
    ['ALL ALL', /missing ":"/],
    ['ALL : ^sip:00', /more than one ":" outside quotes/],
    ['"^sip:alice : ALL', /unterminated quote/],
    [' : ALL', /no From pattern/],
    ['ALL : ', /no URI pattern/],
    ['ALL, "x" : ALL', /ALL must stand alone in the From list/],
    ['"a" "b" : ALL', /expected "," between patterns/],
    ['"a",, "b" : ALL', /empty pattern in the From list/],
    ['"a", : ALL', /list ends with ","/],
    ['ALL : ALL EXCEPT', /EXCEPT needs patterns/],
    ['ALL : ALL EXCEPT ALL', /ALL after EXCEPT/],
    ['ALL : "a" EXCEPT "b" EXCEPT "c"', /EXCEPT appears twice/],
    ['ALL : "^sip:(00"', /bad regular expression "\^sip:\(00"/],
    ['ALL : ""', /empty pattern ""/],
  ])('refuses %j', (line, message) => {
    const p = parseRuleLine(line);
    expect(p.kind).toBe('error');
    if (p.kind === 'error') expect(p.message).toMatch(message);
  });

  it('an inline rule must hold exactly one rule', () => {
    expect(ruleLineProblem('ALL : ALL')).toBeUndefined();
    expect(ruleLineProblem('# only a comment')).toMatch(/empty rule/);
    expect(ruleLineProblem('ALL : ALL\nALL : ALL')).toMatch(/one rule per list item/);
  });
});

describe('rule files', () => {
  it('names file and line of every bad line, all at once', () => {
    const r = parseRuleFile(['# routing deny rules', 'ALL : "^sip:00"', 'ALL "^sip:900"', '', 'ALL : "(unclosed"'].join('\n'), '/etc/sbc/routing.deny');
    expect(r.rules).toHaveLength(1);
    expect(r.errors.map((e) => `${e.file}:${e.line}`)).toEqual(['/etc/sbc/routing.deny:3', '/etc/sbc/routing.deny:5']);
    expect(formatConfigErrors(r.errors)).toContain('/etc/sbc/routing.deny:3  missing ":" between the From patterns and the URI patterns');
  });

  it('reads <basename>.allow and .deny; one missing file is an empty list', () => {
    const files = memoryFiles({ '/etc/sbc/routing.deny': 'ALL : "^sip:900"\n' });
    const r = loadRules({ basename: '/etc/sbc/routing', allow: ['ALL : "^sip:9001@"'], deny: [] }, 'permissions.routing', files);
    expect(r.errors).toEqual([]);
    expect(r.files).toEqual({ '/etc/sbc/routing.allow': 'missing', '/etc/sbc/routing.deny': 'read' });
    expect(r.set.allow.map((x) => x.source)).toEqual([{ path: 'permissions.routing.allow[0]' }]);
    expect(r.set.deny.map((x) => x.source)).toEqual([{ file: '/etc/sbc/routing.deny', line: 1 }]);
  });

  it('both files missing is a wrong basename', () => {
    const r = loadRules({ basename: '/etc/sbc/routnig', allow: [], deny: [] }, 'permissions.routing', memoryFiles({}));
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0].path).toBe('permissions.routing.basename');
    expect(r.errors[0].message).toMatch(/neither \/etc\/sbc\/routnig\.allow nor \/etc\/sbc\/routnig\.deny exists/);
  });

  it('an unreadable file (not missing) is an error', () => {
    const read = (p: string): string => {
      if (p.endsWith('.deny')) throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      return '';
    };
    const r = loadRules({ basename: '/etc/sbc/routing', allow: [], deny: [] }, 'permissions.routing', read);
    expect(r.errors.map((e) => e.message)).toEqual(['cannot read /etc/sbc/routing.deny: EACCES: permission denied']);
  });
});

describe('allow/deny decisions', () => {
  const set = new RuleSet(
    rules(
      [
        // the operator's own numbers may call premium numbers
        '"^sip:ops[0-9]*@example\\.com" : "^sip:900"',
        // anyone may reach the free-phone range, except one blocked number
        'ALL : "^sip:0800" EXCEPT "^sip:08001234567@"',
      ].join('\n'),
    ),
    rules(
      [
        'ALL : "^sip:900", "^sip:00881"',
        '"@spammer\\.example$" : ALL',
        'ALL EXCEPT "^sip:ops" : "^sip:08001234567@"',
      ].join('\n'),
      'permissions.deny',
    ),
  );

  it.each([
    // from, plain R-URI, verdict, rule line (file:line)
    ['sip:ops1@example.com', 'sip:9001234@gw.example.com', 'allow', 'permissions.allow:1'],
    ['sip:alice@example.com', 'sip:9001234@gw.example.com', 'deny', 'permissions.deny:1'],
    ['sip:alice@example.com', 'sip:008812345@gw.example.com', 'deny', 'permissions.deny:1'],
    ['sip:alice@EXAMPLE.com', 'SIP:0800111222@gw.example.com', 'allow', 'permissions.allow:2'],
    // EXCEPT on the allow side leaves the pair to the deny rules
    ['sip:alice@example.com', 'sip:08001234567@gw.example.com', 'deny', 'permissions.deny:3'],
    // ... and EXCEPT on the deny side lets ops through (no rule: allowed)
    ['sip:ops7@example.com', 'sip:08001234567@gw.example.com', 'none', undefined],
    ['sip:bot@spammer.example', 'sip:4930123@gw.example.com', 'deny', 'permissions.deny:2'],
    ['sip:alice@example.com', 'sip:4930123@gw.example.com', 'none', undefined],
  ] as const)('%s -> %s: %s', (from, ruri, verdict, where) => {
    const d = set.decide(from, ruri);
    expect(d.verdict).toBe(verdict);
    if (d.verdict !== 'none') expect('file' in d.rule.source ? `${d.rule.source.file}:${d.rule.source.line}` : '').toBe(where);
  });

  it('no rules at all allows everything', () => {
    expect(new RuleSet([], []).decide('sip:a@b', 'sip:c@d').verdict).toBe('none');
  });
});
