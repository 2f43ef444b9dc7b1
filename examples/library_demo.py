"""Another application using vote_domain on its own: run `python examples/library_demo.py`."""

import asyncio
import sys

from vote_domain import AlreadyVoted, VotingService, connect


async def main(url: str) -> None:
    async with connect(url) as store:  # or mysql://user:pw@host:3306/db
        await store.migrate()  # idempotent, versioned
        votes = VotingService(store)
        await votes.register_voter("alice", "Alice")
        poll = await votes.create_poll("alice", "Tabs or spaces?", ["Tabs", "Spaces"])
        print(await votes.cast_vote(poll.id, "alice", "Spaces"))  # outcome='cast'
        print(await votes.cast_vote(poll.id, "alice", "spaces "))  # outcome='unchanged'
        try:
            await votes.cast_vote(poll.id, "alice", "Tabs")
        except AlreadyVoted as e:
            print(e.code)  # already_voted
        print(await votes.change_vote(poll.id, "alice", "Tabs"))  # outcome='changed'


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "sqlite:///./example.db"))
