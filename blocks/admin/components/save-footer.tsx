import { Button, CardFooter } from "@wordpress/components";

/**
 * The footer of a settings form: one primary button, busy while saving. With
 * `onSave` it runs that; without, it submits the surrounding form.
 */
export function SaveFooter({
  label,
  saving,
  onSave,
}: {
  label: string;
  saving: boolean;
  onSave?: () => void;
}) {
  return (
    <CardFooter>
      <Button
        __next40pxDefaultSize
        variant="primary"
        type={onSave ? "button" : "submit"}
        onClick={onSave}
        isBusy={saving}
        disabled={saving}
      >
        {label}
      </Button>
    </CardFooter>
  );
}
