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

// auth-service, admin (issue 13)
// TODO(roles): the schemas AdminUser, AdminUserPage, Suspension, AuditEntry, AuditPage are not generated yet;
// these hand-written interfaces follow the issue-13 contract until `make api-types` has them.
export interface Suspension {
  reason: string;
  at: string;
  by: string;
}
export interface AdminUser {
  id: string;
  email: string;
  username: string;
  role: string;
  created_at: string;
  two_factor: boolean;
  passkeys: number;
  sessions: number;
  suspended: Suspension | null;
}
export interface AdminUserPage {
  users: AdminUser[];
  next_cursor: string | null;
}
export interface AuditEntry {
  id: string;
  at: string;
  actor_id: string;
  actor: string | null;
  action: string;
  target_id: string | null;
  target: string | null;
  reason: string | null;
  detail: Record<string, string>;
}
export interface AuditPage {
  entries: AuditEntry[];
  next_cursor: string | null;
}

// profile-service, moderation (issue 13)
// TODO(moderation-flow, moderation-admin): PendingAvatar, ModerationNotice, ModerationItem, ModerationPage,
// ModerationDecision, ModerationAuditEntry, ModerationAuditPage are not generated yet; hand-written from the
// issue-13 contract until `make api-types` has them.
export interface PendingAvatar {
  upload_id: string;
  status: string;
  secure_url: string;
  version: number;
  width: number;
  height: number;
  variants: Record<string, string>;
  uploaded_at: string;
}
export interface ModerationNotice {
  kind: string;
  reason: string;
  at: string;
  upload_id: string | null;
}
export interface ModerationItem {
  upload_id: string;
  user_id: string;
  username: string;
  status: string;
  thumbnail_url: string;
  secure_url: string;
  uploaded_at: string;
  decided_at: string | null;
  decided_by: string | null;
  reason: string | null;
}
export interface ModerationPage {
  items: ModerationItem[];
  next_cursor: string | null;
}
export interface ModerationDecision {
  upload_id: string;
  status: string;
  moderation_status: string;
}
export interface ModerationAuditEntry {
  id: string;
  at: string;
  actor_id: string;
  action: string;
  target_user_id: string;
  upload_id: string | null;
  reason: string | null;
}
export interface ModerationAuditPage {
  entries: ModerationAuditEntry[];
  next_cursor: string | null;
}

// profile-service
// TODO(moderation-flow): the generated Profile gains pending_avatar and moderation_notice.
export type Profile = ProfileSchemas["Profile"] & {
  pending_avatar?: PendingAvatar | null;
  moderation_notice?: ModerationNotice | null;
};
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
