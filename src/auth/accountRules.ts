// What a username and a password must be, shared by the API and the admin command so both refuse
// the same things with the same words. 12 characters is also what ADMIN_PASSWORD must have.
export const passwordMinLength = 12;
export const passwordMaxLength = 256;
export const usernamePattern = /^[a-z0-9._-]{3,64}$/;
export const usernameRule = '3 to 64 lower-case letters, digits, dots, dashes';
