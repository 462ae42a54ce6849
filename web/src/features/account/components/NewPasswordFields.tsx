import { PASSWORD_MIN } from "../messages";
import { Field } from "../../../components/Field";

interface Props {
  password: string;
  repeat: string;
  onPassword: (value: string) => void;
  onRepeat: (value: string) => void;
  errors: { new_password?: string; repeat?: string };
}

/** "New password" and "Repeat the new password", as the reset and change-password forms both ask. */
export function NewPasswordFields({ password, repeat, onPassword, onRepeat, errors }: Props) {
  return (
    <>
      <Field
        label="New password"
        name="new_password"
        type="password"
        autoComplete="new-password"
        required
        hint={`At least ${PASSWORD_MIN} characters.`}
        value={password}
        error={errors.new_password}
        onChange={(e) => onPassword(e.target.value)}
      />
      <Field
        label="Repeat the new password"
        name="repeat_password"
        type="password"
        autoComplete="new-password"
        required
        value={repeat}
        error={errors.repeat}
        onChange={(e) => onRepeat(e.target.value)}
      />
    </>
  );
}
