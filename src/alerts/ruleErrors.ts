// A rule form's refusals in Vietnamese and English, each naming its field: zod's issues said again
// for a person filling in the form (the API's answer and the defaults file's start-up error).
import type { z } from 'zod';
import { ruleTypes } from './ruleParams.ts';

/** One refusal, naming the field, in both languages. */
export interface FieldError {
  field: string;
  vi: string;
  en: string;
}

const typeWords: Record<string, [string, string]> = {
  number: ['số', 'a number'],
  int: ['số nguyên', 'a whole number'],
  string: ['chuỗi ký tự', 'text'],
  boolean: ['true hoặc false', 'true or false'],
  array: ['danh sách', 'a list'],
  object: ['đối tượng JSON', 'a JSON object'],
};

/** A zod issue said in Vietnamese and English. `type`: the rule's type, to say what needs the field. */
function describeIssue(issue: z.core.$ZodIssue, type: unknown): FieldError[] {
  const field = (path: readonly PropertyKey[]) => path.map(String).join('.') || 'rule';
  const at = field(issue.path);
  const of = typeof type === 'string' && (ruleTypes as readonly string[]).includes(type) ? type : undefined;
  const one = (vi: string, en: string): FieldError[] => [{ field: at, vi, en }];
  const missing = () =>
    of
      ? one(`bắt buộc với quy tắc loại ${of}`, `is required for a rule of type ${of}`)
      : one('bắt buộc', 'is required');
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return missing();
      const [vi, en] = typeWords[issue.expected] ?? [issue.expected, issue.expected];
      return one(`phải là ${vi}`, `must be ${en}`);
    }
    case 'too_small':
    case 'too_big': {
      const small = issue.code === 'too_small';
      const limit = Number(small ? issue.minimum : issue.maximum);
      const inclusive = issue.inclusive !== false;
      if (issue.origin === 'string')
        return small && limit === 1
          ? one('không được để trống', 'must not be empty')
          : one(
              `${small ? 'ít nhất' : 'tối đa'} ${limit} ký tự`,
              `${small ? 'at least' : 'at most'} ${limit} characters`,
            );
      if (issue.origin === 'array')
        return one(
          `${small ? 'ít nhất' : 'tối đa'} ${limit} mục`,
          `${small ? 'at least' : 'at most'} ${limit} items`,
        );
      const sign = small ? (inclusive ? '≥' : '>') : inclusive ? '≤' : '<';
      return one(`phải ${sign} ${limit}`, `must be ${sign} ${limit}`);
    }
    case 'invalid_format':
      return one(
        `không đúng định dạng${'pattern' in issue && issue.pattern ? ` (${issue.pattern})` : ''}`,
        `has the wrong format${'pattern' in issue && issue.pattern ? ` (${issue.pattern})` : ''}`,
      );
    case 'invalid_value': {
      if (issue.input === undefined) return missing();
      const values = issue.values.map(String).join(', ');
      return issue.values.length === 1
        ? one(`phải là ${values}`, `must be ${values}`)
        : one(`phải là một trong: ${values}`, `must be one of: ${values}`);
    }
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({
        field: field([...issue.path, key]),
        vi: of ? `quy tắc loại ${of} không dùng trường này` : 'trường không được dùng ở đây',
        en: of ? `is not a field of a rule of type ${of}` : 'is not a field here',
      }));
    case 'invalid_union': {
      const given = type === undefined ? ['bắt buộc, ', 'is required, '] : ['', ''];
      return [
        {
          field: at === 'rule' ? 'type' : at,
          vi: `${given[0]}phải là một trong các loại quy tắc: ${ruleTypes.join(', ')}`,
          en: `${given[1]}must be one of the rule types: ${ruleTypes.join(', ')}`,
        },
      ];
    }
    case 'custom': {
      const [vi, en] = issue.message.includes(' / ')
        ? issue.message.split(' / ', 2)
        : [issue.message, issue.message];
      return one(vi!, en!);
    }
    default:
      return one('không hợp lệ', `is invalid (${issue.message})`);
  }
}

/** The refusals of a failed parse, each naming its field in both languages. */
export function fieldErrors(issues: readonly z.core.$ZodIssue[], raw: unknown): FieldError[] {
  const type = typeof raw === 'object' && raw !== null ? (raw as { type?: unknown }).type : undefined;
  return issues.flatMap((issue) => describeIssue(issue, type));
}

/** `schema.safeParse`, with refusals as field errors (the input is kept in each issue to tell "missing"). */
export function parseWithFieldErrors<S extends z.ZodType>(
  schema: S,
  raw: unknown,
): { success: true; data: z.output<S> } | { success: false; errors: FieldError[] } {
  const parsed = schema.safeParse(raw, { reportInput: true });
  return parsed.success
    ? { success: true, data: parsed.data }
    : { success: false, errors: fieldErrors(parsed.error.issues, raw) };
}

/** The errors as one message, Vietnamese then English, each naming its field. */
export function fieldErrorMessage(errors: readonly FieldError[], prefix = ''): string {
  const name = (e: FieldError) => (prefix ? `${prefix}.${e.field}` : e.field);
  return `${errors.map((e) => `${name(e)}: ${e.vi}`).join('; ')} / ${errors.map((e) => `${name(e)}: ${e.en}`).join('; ')}`;
}
