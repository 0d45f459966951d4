declare module 'pg/lib/utils.js' {
  const utils: {
    escapeIdentifier(str: string): string;
    escapeLiteral(str: string): string;
  };
  export default utils;
}
