// The one error a tag template raises, at parse or at execution time; callers add which
// parameter or flag the template came from.
export class TemplateError extends Error {
  override name = 'TemplateError';
}
