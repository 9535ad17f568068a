"""What the simulated speakers say: each corpus's own sentences, in its own language."""
from __future__ import annotations

import numpy as np

CREMA_SENTENCES = {
    "IEO": "It's eleven o'clock.", "TIE": "That is exactly what happened.", "IOM": "I'm on my way to the meeting.",
    "IWW": "I wonder what this is about.", "TAI": "The airplane is almost full.",
    "MTI": "Maybe tomorrow it will be cold.", "IWL": "I would like a new alarm clock.",
    "ITH": "I think I have a doctor's appointment.", "DFA": "Don't forget a jacket.",
    "ITS": "I think I've seen this before.", "TSI": "The surface is slick.",
    "WSI": "We'll stop in a couple of minutes.",
}
RAVDESS_SENTENCES = {1: "Kids are talking by the door.", 2: "Dogs are sitting by the door."}
EMODB_SENTENCES = {
    "a01": "Der Lappen liegt auf dem Eisschrank.", "a02": "Das will sie am Mittwoch abgeben.",
    "a04": "Heute abend könnte ich es ihm sagen.", "a05": "Das schwarze Stück Papier befindet sich da oben.",
    "a07": "In sieben Stunden wird es soweit sein.", "b01": "Was sind denn das für Tüten, die da unter dem Tisch stehen?",
    "b02": "Sie haben es gerade hochgetragen und jetzt gehen sie wieder runter.",
    "b03": "An den Wochenenden bin ich jetzt immer nach Hause gefahren.",
    "b09": "Ich will das eben wegbringen und dann mit Karl was trinken gehen.",
    "b10": "Die wird auf dem Platz sein, wo wir sie immer hinlegen.",
}
EMOVO_SENTENCES = {
    "b1": "Gli operai si alzano presto.", "b2": "I vigili sono muniti di pistola.",
    "b3": "La cascata fa molto rumore.", "l1": "L'autunno prossimo Tony partirà per la Spagna.",
    "l2": "Ora prendo la felpa di là ed esco per fare una passeggiata.", "l3": "Un attimo dopo s'è incamminato.",
    "l4": "Vorrei il numero telefonico del Signor Piatti.", "n1": "La casa forte vuole col pane.",
    "n2": "La forza trova il passo e l'aglio rosso.", "n3": "Il gatto sta scorrendo nella pera.",
    "n4": "Insalata pastasciutta coscia d'agnello limoncello.", "n5": "Uno quarantatré dieci mille cinquecento.",
    "d1": "Sabato sera cosa farà?", "d2": "Porti con te quella cosa?",
}
SAVEE_SENTENCES = [
    "She had your dark suit in greasy wash water all year.", "Don't ask me to carry an oily rag like that.",
    "Will you tell me why?", "Who authorized the unlimited expense account?", "Destroy every file related to my audits.",
    "The small boy put the worm on the hook.", "Nuclear rockets can destroy airfields with ease.",
    "The prospect of cutting back spending is an unpleasant one.", "His shoulder felt as if it were broken.",
    "Call an ambulance for medical assistance.", "Tornadoes often destroy acres of farm land.",
    "The diner had the bumpy road to thank for the spilled coffee.", "Kindergarten children decorate with paint.",
    "Lori's costume needed black gloves to be completely elegant.", "A good attitude makes life easier.",
    "Those musicians harmonize marvelously.", "The eastern coast is a place for pure pleasure.",
    "The best way to learn is to solve extra problems.", "Grandmother outgrew her upbringing in petticoats.",
    "Our experiment's positive outcome was unexpected.", "I honor my mom.", "The fog prevented them from arriving.",
    "Basketball can be an entertaining sport.", "The clumsy customer spilled some expensive perfume.",
    "Right now may not be the best time for business mergers.", "Aluminum silverware can often be flimsy.",
    "Young people participate in athletic activities.", "Cottage cheese with chives is delicious.",
    "Where were you while we were away?", "Ralph controlled the stopwatch from the bleachers.",
]
TESS_WORDS = ("back bar base bath bean beg bite boat bone book bought burn cab calm came cause chain chair chalk "
              "chat check cheek chief choice cool dab date dead death deep dime dip ditch dodge dog doll door fail "
              "fall far fat fit five food gap gas gaze germ get gin goal good goose gun half hall hash hate have "
              "haze hire hit hole home hurl jail jar join judge jug juice keen keep keg kick kill king kite knock "
              "late laud lean learn lease lid life limb live loaf long lore lose lot love luck make match merge "
              "mess met mill mob mode mood moon mop mouse nag name near neat nice note numb pad page pain pass "
              "pearl peg perch phone pick pike pole pool puff rag raid rain raise rat reach read red ring ripe "
              "road room rose rot rough rush said sail search seize sell shack shall shawl sheep shirt should "
              "shout size soap soup sour south sub such sure take talk tape team tell thin third thought thumb "
              "time tip tire ton tool tough turn vine voice void vote wag walk wash week wheat when which whip "
              "white wife wire witch yearn yes young youth").split()
EPST_SENTENCES = ["August sixteenth.", "Two thousand one.", "Nine hundred three.", "December first.",
                  "Eight hundred ten.", "March twenty second.", "Five thousand four.", "June fourth."]
CMN_SENTENCES = ["现在是十一点。", "事情就是这样发生的。", "我正在去开会的路上。", "明天可能会很冷。", "请不要忘记带外套。",
                 "你今天晚上回家吃饭吗？", "我觉得这件事情不太对。", "他们已经在门口等了很久。", "这个周末我们去看电影吧。",
                 "你为什么不早点告诉我？", "房间里太吵了，我听不清楚。", "我们下个月要搬家了。"]
EN_PHRASES = ["I never expected that the meeting would end so soon today.", "Where did you put the keys last night?",
              "We should talk about this later.", "You told me you would call me back.", "I can't believe it's already over.",
              "Let's just wait and see what happens.", "That was not what I asked for.", "Did you hear what she said?",
              "I have been waiting here for an hour.", "It doesn't matter anymore.", "Can you help me with this?",
              "We won the tickets for the concert!", "I don't know what to tell you.", "They moved to a new city.",
              "Please close the window, it's cold.", "I finally got the job offer.", "Why would anyone do that?",
              "My flight was cancelled again.", "We could go to the beach tomorrow.", "The dog ran away this morning.",
              "I'm not sure this is a good idea.", "Everything is going to be fine.", "You never listen to me.",
              "This is the best day of my life.", "Nobody came to the party.", "I lost my wallet on the train.",
              "Tell me the truth.", "We need more time to finish.", "It was a long and quiet evening.",
              "I really miss the old house."]
_WORDS = ("time people year way day thing man world life hand part child eye woman place work week case point "
          "company number group problem fact water money story month lot right study book night word family "
          "home really always never often quickly maybe today tomorrow yesterday here there very quite").split()
_VERBS = "said told found made took went saw knew thought looked wanted gave used tried asked needed felt left".split()


def random_sentence(rng: np.random.Generator) -> str:
    """A random English word string (VoxCeleb- and MOSEI-like variety of content)."""
    n = int(rng.integers(4, 12))
    words = [_WORDS[int(rng.integers(len(_WORDS)))] if i % 3 else _VERBS[int(rng.integers(len(_VERBS)))]
             for i in range(n)]
    return ("the " + " ".join(words)).capitalize() + str(rng.choice([".", ".", "?", "!"]))
