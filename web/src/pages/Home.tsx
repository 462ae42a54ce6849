import { Avatar } from "../components/Avatar";
import { Link } from "../components/Link";
import { useSession } from "../session";

export function Home() {
  const { user, profile } = useSession();
  const name = profile?.display_name || user?.username || "there";
  return (
    <main id="main" className="page">
      <section className="card hero" aria-labelledby="home-title">
        <Avatar avatar={profile?.avatar ?? null} name={name} size={128} className="hero-avatar" />
        <div>
          <h1 id="home-title">Hello, {name}!</h1>
          <p className="muted">
            {profile?.avatar
              ? "This is how others see you. Looking good."
              : "You don't have a profile picture yet. Add one so people recognise you."}
          </p>
          <Link href="/profile" className="button">
            {profile?.avatar ? "Change your picture" : "Add a profile picture"}
          </Link>
        </div>
      </section>
    </main>
  );
}
