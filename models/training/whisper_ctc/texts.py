"""Text sources for the synthetic training set.

Each item is (tts_text, transcript). tts_text is what the TTS engine reads
(deck letters as capitals so they are read as letter names); transcript is the
uppercase target (A-Z, apostrophe, space).
"""
import os
import random
import re
import tomllib

NUMS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
        "eighteen", "nineteen", "twenty", "twenty one", "twenty two", "twenty four",
        "twenty eight", "thirty", "thirty two"]
DECKS = ["A", "B", "C", "D"]
SIDES = ["left", "right"]
LOOPS = ["one", "two", "four", "eight", "sixteen", "thirty two", "half", "quarter"]


def transcript_of(text: str) -> str:
    t = text.upper().replace("-", " ")
    t = re.sub(r"[^A-Z' ]", " ", t)
    return re.sub(r"\s+", " ", t).strip()


def deck_target():
    r = random.random()
    if r < 0.7:
        return "deck " + random.choice(DECKS)
    if r < 0.85:
        return random.choice(SIDES)
    return "channel " + random.choice(["one", "two", "three", "four"])


def command_phrase() -> str:
    d = deck_target
    templates = [
        lambda: f"{random.choice(['play', 'pause', 'stop', 'cue', 'sync', 'mute', 'unmute', 'solo', 'start', 'record', 'scratch', 'nudge', 'reset', 'eject', 'rewind', 'master'])} {d()}",
        lambda: f"loop {random.choice(LOOPS)} {d()}",
        lambda: f"loop {random.choice(LOOPS)} beats {d()}",
        lambda: f"exit loop {d()}",
        lambda: f"{random.choice(['loop in', 'loop out', 'reloop', 'loop double', 'loop halve'])} {d()}",
        lambda: f"load track {d()}",
        lambda: f"load {random.choice(['track', 'song', 'the next track', 'playlist'])} {random.choice(NUMS)}",
        lambda: f"hot cue {random.choice(NUMS[:8])} {d()}",
        lambda: f"set hot cue {random.choice(NUMS[:8])}",
        lambda: f"delete hot cue {random.choice(NUMS[:8])} {d()}",
        lambda: f"{random.choice(['tempo', 'volume', 'gain', 'pitch', 'filter', 'bpm', 'key'])} {random.choice(['up', 'down'])} {d()}",
        lambda: f"{random.choice(['tempo', 'volume', 'gain', 'pitch', 'bpm'])} {random.choice(['up', 'down'])}",
        lambda: f"{random.choice(['tempo', 'volume', 'gain', 'pitch'])} {random.choice(['up', 'down'])} {random.choice(NUMS[:10])} {d()}",
        lambda: f"crossfade {random.choice(['left', 'right', 'center', 'to deck A', 'to deck B'])}",
        lambda: f"{random.choice(['effects', 'effect', 'echo', 'reverb', 'flanger', 'delay', 'filter', 'keylock', 'quantize', 'slip mode', 'vinyl mode'])} {random.choice(['on', 'off'])}",
        lambda: f"{random.choice(['effects', 'echo', 'reverb', 'filter'])} {random.choice(['on', 'off'])} {d()}",
        lambda: f"{random.choice(['low', 'mid', 'high', 'bass', 'treble'])} kill {d()}",
        lambda: f"{random.choice(['low', 'mid', 'high'])} {random.choice(['up', 'down', 'kill', 'reset'])}",
        lambda: f"EQ {random.choice(['reset', 'flat', 'off', 'on'])} {d()}",
        lambda: f"beat jump {random.choice(['forward', 'back', 'backward'])} {random.choice(NUMS[:16])}",
        lambda: f"beat jump {random.choice(NUMS[:16])} {d()}",
        lambda: f"{random.choice(['next', 'previous', 'last', 'first'])} {random.choice(['track', 'song', 'folder', 'playlist', 'crate'])}",
        lambda: f"scroll {random.choice(['up', 'down', 'left', 'right'])}",
        lambda: f"scroll {random.choice(['up', 'down'])} {random.choice(NUMS[:10])}",
        lambda: f"{random.choice(['start', 'stop', 'pause', 'resume'])} recording",
        lambda: f"{random.choice(['start', 'stop'])} {random.choice(['the mix', 'the set', 'the stream', 'the sampler', 'sampler ' + random.choice(NUMS[:8])])}",
        lambda: f"tap tempo",
        lambda: f"tap tempo {d()}",
        lambda: f"set tempo to {random.choice(['one twenty', 'one twenty eight', 'one thirty', 'ninety', 'one forty', 'one seventy four'])}",
        lambda: f"set bpm {random.choice(['one twenty', 'one twenty six', 'one thirty two', 'eighty five'])}",
        lambda: f"sync {random.choice(['on', 'off'])}",
        lambda: f"pitch bend {random.choice(['up', 'down'])} {d()}",
        lambda: f"{random.choice(['play', 'stop', 'cue', 'sync', 'loop'])} {d()} {random.choice(['now', 'please', 'on the one', 'on the drop'])}",
        lambda: f"{random.choice(['play', 'pause', 'stop'])} {random.choice(['both decks', 'all decks', 'everything'])}",
        lambda: f"sample {random.choice(NUMS[:16])} {random.choice(['on', 'off', 'play', 'stop'])}",
        lambda: f"pad {random.choice(NUMS[:8])}",
        lambda: f"channel {random.choice(['one', 'two', 'three', 'four'])} {random.choice(['on', 'off', 'up', 'down', 'mute'])}",
        lambda: f"master {random.choice(['volume', 'gain'])} {random.choice(['up', 'down'])}",
        lambda: f"headphone {random.choice(['cue', 'mix', 'volume'])} {random.choice(['up', 'down', 'on', 'off'])}",
        lambda: f"deck {random.choice(DECKS)} {random.choice(['play', 'stop', 'cue', 'sync', 'loop', 'mute'])}",
    ]
    return random.choice(templates)()


def corpus_phrases(path=None):
    path = path or os.path.join(os.environ.get("VOXCUE_CORPUS", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared", "corpus")), "dj-commands.toml")
    with open(path, "rb") as f:
        cfg = tomllib.load(f)
    out = []
    for c in cfg["command"]:
        for p in c["phrases"]:
            # capitalize the final deck letter so TTS reads it as a letter name
            out.append(re.sub(r"\bdeck ([ab])\b", lambda m: "deck " + m.group(1).upper(), p))
    return out


GENERIC = """
this track is my favourite
can you turn the monitors up a bit
the crowd is really into it tonight
what time is it right now
i think we should go on at midnight
did you bring the usb stick
my headphones are broken again
grab me a glass of water please
that was an amazing transition
the bass is too loud in the booth
let's do a back to back set
who is playing after us
the lights are way too bright
i need to charge my phone
how many people are out there
we have about twenty minutes left
the promoter wants us to finish at three
this song came out in nineteen ninety seven
she played a great set last weekend
i can't hear anything in the monitor
we should get some food after the gig
the next bus leaves at half past two
my name is john and i'm from chicago
tell sarah to meet us at the back door
it's raining outside again
the record shop opens at ten
do you have a spare cable
the laptop fan is really noisy
i love this remix so much
turn it down a little in the headphones
check the microphone before we start
the dance floor is packed
there are forty people waiting at the door
we made about three hundred dollars tonight
the drummer is running late
can you send me the playlist
i'll be back in five minutes
give me a minute to set up
the weather is nice today
she said the party starts at nine
let me know when you are ready
that's the best thing i've heard all week
he lives on the other side of town
we should practice more often
the sound engineer is over there
i forgot my charger at home
this venue has a great sound system
what's the name of this song
the tickets sold out in an hour
we need more energy on the floor
have you seen my bag anywhere
i'm going to grab a coffee
this is going to be a long night
the speakers are distorting
everyone is having a good time
my flight lands at seven thirty
we met at a festival last summer
how much does that controller cost
i bought a new pair of speakers
the festival is in two weeks
her birthday is on the twelfth of may
there's a problem with the power supply
the bar closes at two in the morning
can you play something a bit faster
people want to hear some old school
let's take a short break
that was a really smooth mix
the vinyl is a bit scratched
i'm not sure about this one
we have three more songs to play
thank you all for coming out tonight
make some noise for the next act
put your hands up in the air
it's getting really hot in here
the owner wants to talk to you
we should leave before the rush
my brother is coming to the show
i started playing records when i was fifteen
the traffic was terrible this evening
they changed the schedule again
i'm really tired but happy
is there any more ice in the fridge
the guest list is at the front desk
can somebody open a window
the cables are all tangled up
we need a new mixer for the club
this one always works at the end of the night
my favourite genre is deep house
he plays a lot of drum and bass
the crowd loves a good sing along
let's try something different for the encore
did you remember to save the set
the stream has two thousand viewers
i'll text you the address
we're playing at the beach party on saturday
how was your week
my sister just got a new job
the train was cancelled this morning
i need to buy some groceries
what do you want for dinner
i'm reading a really good book
we watched a movie last night
the kids are asleep upstairs
can you pick me up at six
the meeting has been moved to thursday
i'll call you back later
it costs about fifty dollars
there are seven days in a week
my phone number ends in four two one
the restaurant is around the corner
we walked along the river for an hour
the garden looks beautiful in spring
he's been working here for ten years
she speaks three languages
i lost my keys again
the coffee machine is broken
let's meet at the station
the store is open until eight
i've never been to japan
we should paint the kitchen
the cat is sleeping on the sofa
it's too cold to go swimming
my grandmother makes the best soup
the game starts at half past seven
they won the match two to one
we need to leave in ten minutes
the doctor said i should rest
i'm learning to play the guitar
the museum is free on sundays
our neighbours are very friendly
the children played in the park
please close the door behind you
i think it's going to snow tomorrow
what a beautiful morning
the water is very cold today
we had pizza for lunch
how old is your dog
the library is on the second floor
i'll have a cup of tea please
my car needs new tyres
the bridge was built a hundred years ago
she runs five kilometres every morning
the price went up again
don't forget your umbrella
it's about two hours by train
they are moving to a new house
the letter arrived yesterday
i can't find my glasses
the baby is finally asleep
let's go for a walk
the shop was already closed
there's a new bakery in our street
he forgot to lock the door
the movie was better than the book
we're going camping next month
my computer is really slow today
the concert was absolutely amazing
the waiter brought the wrong order
could you repeat that please
i don't understand the question
we will see what happens
that sounds like a great idea
nobody knows the answer
everything is going to be fine
the quick brown fox jumps over the lazy dog
a journey of a thousand miles begins with a single step
peter and mary went to the market
david is twenty nine years old
the building has thirty two floors
number eleven is my lucky number
we counted sixty four sheep
the score was ninety to eighty
he drove four hundred miles yesterday
there are twelve months in a year
i woke up at five o'clock
we're number one on the chart
the room can hold two hundred people
the first track is about six minutes long
the second half was much better
a hundred and twenty eight beats per minute
the set lasted almost three hours
my playlist has over a thousand songs
listen to that kick drum
this bassline is incredible
the vocals come in after sixteen bars
wait for the drop
bring it back from the top
keep the energy going
that loop is way too long
i'll mix it in on the next phrase
watch the levels on the master
the left speaker keeps cutting out
the right channel sounds a bit quiet
the needle keeps skipping
we're running out of time
the crowd wants one more song
give it up for the dancers
who wants to hear some classics
let's slow things down a bit
this is the last song of the night
remember to tip your bartender
drive home safely everyone
the cloakroom closes at four
i'm going to play something special now
everybody on the dance floor
this one goes out to my friends
he always plays too loud
she mixes everything on vinyl
we bought new turntables last year
the fog machine is on again
the strobe is giving me a headache
the booth is way too small
i can't see the screen in this light
pass me that cable would you
the software crashed during soundcheck
we need a backup laptop
how do you know the promoter
they booked us for the whole summer
our set starts in an hour
turn around and look at the crowd
that was the loudest cheer all night
""".strip().splitlines()

NAMES = ["john", "sarah", "mike", "emma", "david", "lisa", "tom", "anna", "james", "kate",
         "peter", "maria", "chris", "laura", "alex", "sophie", "daniel", "nina", "paul", "rachel"]
PLACES = ["london", "berlin", "paris", "new york", "the club", "the studio", "the beach",
          "the station", "the airport", "the office", "the park", "home", "the hotel"]
THINGS = ["the records", "my bag", "the cables", "the laptop", "the keys", "a drink", "the tickets",
          "my jacket", "the flyers", "the headphones", "a sandwich", "the speakers"]
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
        "tonight", "tomorrow", "next week", "this weekend"]
TIMES = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "half past nine", "quarter to ten", "noon", "midnight"]


def generic_sentence() -> str:
    r = random.random()
    if r < 0.55:
        return random.choice(GENERIC)
    t = [
        lambda: f"{random.choice(NAMES)} is going to {random.choice(PLACES)} {random.choice(DAYS)}",
        lambda: f"can you ask {random.choice(NAMES)} to bring {random.choice(THINGS)}",
        lambda: f"i left {random.choice(THINGS)} at {random.choice(PLACES)}",
        lambda: f"we meet at {random.choice(PLACES)} at {random.choice(TIMES)}",
        lambda: f"{random.choice(NAMES)} and {random.choice(NAMES)} are playing {random.choice(DAYS)}",
        lambda: f"there are {random.choice(NUMS)} people at {random.choice(PLACES)}",
        lambda: f"the set starts at {random.choice(TIMES)} {random.choice(DAYS)}",
        lambda: f"i need {random.choice(NUMS)} more minutes",
        lambda: f"call {random.choice(NAMES)} when you get to {random.choice(PLACES)}",
        lambda: f"{random.choice(NAMES)} said {random.choice(GENERIC)}",
        lambda: f"it's {random.choice(NUMS)} degrees outside",
        lambda: f"the room number is {random.choice(NUMS)} {random.choice(NUMS[:9])}",
        lambda: f"don't forget {random.choice(THINGS)}",
        lambda: f"where did you put {random.choice(THINGS)}",
        lambda: f"i think {random.choice(NAMES)} has {random.choice(THINGS)}",
    ]
    return random.choice(t)()


def dj_chatter_with_keywords() -> str:
    """Sentences that reuse command words in non-command contexts (hard negatives)."""
    t = [
        lambda: f"i love the way you {random.choice(['play', 'loop', 'scratch', 'mix', 'cue'])} that",
        lambda: f"the {random.choice(['left', 'right'])} deck is {random.choice(['broken', 'sticky', 'fine', 'too loud'])}",
        lambda: f"did you {random.choice(['stop', 'start', 'pause', 'sync'])} the {random.choice(['music', 'video', 'lights', 'clock'])}",
        lambda: f"the {random.choice(['tempo', 'volume', 'crowd', 'energy'])} is {random.choice(['perfect', 'too high', 'too low', 'just right'])}",
        lambda: f"turn the {random.choice(['lights', 'heater', 'fan', 'screen'])} {random.choice(['on', 'off'])}",
        lambda: f"the {random.choice(['effects', 'lights', 'visuals'])} look {random.choice(['great', 'weird', 'amazing'])} tonight",
        lambda: f"{random.choice(['next', 'last'])} {random.choice(['week', 'time', 'year', 'summer'])} we play {random.choice(PLACES)}",
    ]
    return random.choice(t)()


def sample_text(corpus_list):
    r = random.random()
    if r < 0.40:
        txt = command_phrase()
    elif r < 0.60:
        txt = random.choice(corpus_list)
    elif r < 0.92:
        txt = generic_sentence()
    else:
        txt = dj_chatter_with_keywords()
    return txt, transcript_of(txt)
