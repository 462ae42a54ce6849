/**
 * The services' wire types, by schema component name, from the files `make api-types` generates. Only
 * component names are used (never paths or operation ids), so regenerating after a service change keeps
 * these aliases valid or fails tsc right here.
 */
import type { components as AuthComponents } from "./generated/auth-service";
import type { components as ProfileComponents } from "./generated/profile-service";

type AuthSchemas = AuthComponents["schemas"];
type ProfileSchemas = ProfileComponents["schemas"];

// auth-service
export type User = AuthSchemas["PublicUser"];
export type Registration = AuthSchemas["Registration"];
export type AccessToken = AuthSchemas["AccessToken"];
export type MfaRequired = AuthSchemas["MfaRequired"];
export type TotpEnrollment = AuthSchemas["TotpEnrollment"];
export type RecoveryCodes = AuthSchemas["RecoveryCodes"];
export type ActivityEvent = AuthSchemas["ActivityEvent"];
export type ActivityPage = AuthSchemas["ActivityPage"];
export type Accepted = AuthSchemas["Accepted"];
export type Passkey = AuthSchemas["Passkey"];
export type PasskeyList = AuthSchemas["PasskeyList"];
export type CeremonyOptions = AuthSchemas["CeremonyOptions"];
export type SessionInfo = AuthSchemas["SessionInfo"];
export type SessionList = AuthSchemas["SessionList"];
export type Reauthentication = AuthSchemas["Reauthentication"];
// the admin routes (issue 13)
export type AdminUser = AuthSchemas["AdminUser"];
export type AdminUserPage = AuthSchemas["AdminUserPage"];
export type Suspension = AuthSchemas["Suspension"];
export type AuditEntry = AuthSchemas["AuditEntry"];
export type AuditPage = AuthSchemas["AuditPage"];

// profile-service
export type Profile = ProfileSchemas["Profile"];
export type PendingAvatar = ProfileSchemas["PendingAvatar"];
export type ModerationNotice = ProfileSchemas["ModerationNotice"];
export type ModerationItem = ProfileSchemas["ModerationItem"];
export type ModerationPage = ProfileSchemas["ModerationPage"];
export type ModerationDecision = ProfileSchemas["ModerationDecision"];
export type ModerationAuditEntry = ProfileSchemas["ModerationAuditEntry"];
export type ModerationAuditPage = ProfileSchemas["ModerationAuditPage"];
export type ProfileChange = ProfileSchemas["ProfileChange"];
export type PublicProfile = ProfileSchemas["PublicProfile"];
export type Avatar = ProfileSchemas["Avatar"];
export type PublicAvatar = ProfileSchemas["PublicAvatar"];
export type Preferences = ProfileSchemas["Preferences"];
export type PreferencesChange = ProfileSchemas["PreferencesChange"];
export type AvatarPolicy = ProfileSchemas["AvatarPolicy"];
export type UploadTicket = ProfileSchemas["UploadTicket"];
export type UploadStatus = ProfileSchemas["UploadStatus"];
export type ConfirmUpload = ProfileSchemas["ConfirmUpload"];

export type Theme = Preferences["theme"];
export type Visibility = Profile["visibility"];
